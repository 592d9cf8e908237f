import Memo
