import Memo
print("bench")
