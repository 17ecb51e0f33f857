// The umbrella module: `import DeepLearning` brings in every public target.
@_exported import TensorCore
@_exported import Datasets
