import Memo
print(CacheKey(hashing: "hello", 1, [1.0, 2.0]).hex)
