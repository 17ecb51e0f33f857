// The umbrella module: `import DeepLearning` brings in every public target.
@_exported import TensorCore
@_exported import Datasets
@_exported import Layers
@_exported import Optimizers
@_exported import Interop
@_exported import Distributed
@_exported import Training
@_exported import Models
@_exported import Reinforcement
@_exported import Generative
@_exported import Compression
