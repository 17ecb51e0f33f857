import DeepLearning
print(Tensor([1, 2, 3]))
