import Testing
@testable import CPUBackend

/// Direct convolution in double precision, the reference for the unfold-and-multiply kernels:
/// y `[N, OC, OH, OW]`, and the gradients dx `[N, C, H, W]` and dw `[OC, C/groups, kh, kw]` for a given dy.
func directConvolution(
    _ x: [Float], _ w: [Float], _ dy: [Float], _ g: ConvGeometry, outChannels oc: Int, groups: Int
) -> (y: [Float], dx: [Float], dw: [Float]) {
    let (oh, ow) = (g.outputHeight, g.outputWidth)
    let cg = g.channels / groups, ocg = oc / groups
    var y = [Double](repeating: 0, count: g.batch * oc * oh * ow)
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
    for n in 0..<g.batch {
        for o in 0..<oc {
            let group = o / ocg
            for i in 0..<oh {
                for j in 0..<ow {
                    let yi = ((n * oc + o) * oh + i) * ow + j
                    for c in 0..<cg {
                        for ki in 0..<g.kernelHeight {
                            for kj in 0..<g.kernelWidth {
                                let r = i * g.strideHeight + ki * g.dilationHeight - g.padTop
                                let s = j * g.strideWidth + kj * g.dilationWidth - g.padLeft
                                if r < 0 || r >= g.height || s < 0 || s >= g.width { continue }
                                let xi = ((n * g.channels + group * cg + c) * g.height + r) * g.width + s
                                let wi = ((o * cg + c) * g.kernelHeight + ki) * g.kernelWidth + kj
                                y[yi] += Double(x[xi]) * Double(w[wi])
                                dx[xi] += Double(dy[yi]) * Double(w[wi])
                                dw[wi] += Double(dy[yi]) * Double(x[xi])
                            }
                        }
                    }
                }
            }
        }
    }
    return (y.map(Float.init), dx.map(Float.init), dw.map(Float.init))
}

struct ConvCase: Sendable, CustomTestStringConvertible {
    let geometry: ConvGeometry
    let outChannels, groups: Int
    var testDescription: String {
        let g = geometry
        return "N\(g.batch) C\(g.channels) \(g.height)x\(g.width) -> \(outChannels) k\(g.kernelHeight) s\(g.strideHeight) groups \(groups)"
    }
}

// One image per product (planes of 128 or more), several (small planes), a batch smaller than the
// cores (products split over the cores instead), uneven shares of the batch, groups and strides.
let convolutionCases: [ConvCase] = [
    ConvCase(geometry: ConvGeometry(batch: 3, channels: 4, height: 13, width: 12, kernelHeight: 3, kernelWidth: 3,
                                    padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), outChannels: 6, groups: 2),
    ConvCase(geometry: ConvGeometry(batch: 5, channels: 3, height: 7, width: 6, kernelHeight: 2, kernelWidth: 3,
                                    strideHeight: 2, strideWidth: 1, padTop: 1, padLeft: 0, dilationHeight: 1,
                                    dilationWidth: 2), outChannels: 4, groups: 1),
    ConvCase(geometry: ConvGeometry(batch: 1, channels: 2, height: 16, width: 16, kernelHeight: 3, kernelWidth: 3,
                                    padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), outChannels: 3, groups: 1),
    ConvCase(geometry: ConvGeometry(batch: 7, channels: 4, height: 5, width: 5, kernelHeight: 3, kernelWidth: 3,
                                    padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), outChannels: 4, groups: 4),
    ConvCase(geometry: ConvGeometry(batch: 4, channels: 3, height: 16, width: 17, kernelHeight: 3, kernelWidth: 3,
                                    strideHeight: 2, strideWidth: 2, padTop: 1, padBottom: 1, padLeft: 2, padRight: 1),
             outChannels: 5, groups: 1),
]

@Test("convolution forward and backward match direct loops", arguments: convolutionCases)
func convolutionMatchesDirectLoops(_ c: ConvCase) {
    let g = c.geometry
    let x = (0..<(g.batch * g.channels * g.height * g.width)).map { Float(($0 * 7) % 23) / 23 - 0.5 }
    let w = (0..<(c.outChannels * g.channels / c.groups * g.taps)).map { Float(($0 * 5) % 11) / 11 - 0.5 }
    let dy = (0..<(g.batch * c.outChannels * g.outputHeight * g.outputWidth)).map { Float(($0 * 3) % 17) / 17 - 0.5 }
    let expected = directConvolution(x, w, dy, g, outChannels: c.outChannels, groups: c.groups)
    var y = [Float](repeating: .nan, count: dy.count)
    var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: .nan, count: w.count)
    x.withUnsafeBufferPointer { px in
        w.withUnsafeBufferPointer { pw in
            y.withUnsafeMutableBufferPointer { py in
                Convolution.forward(px.baseAddress!, pw.baseAddress!, g, outChannels: c.outChannels, groups: c.groups,
                                    into: py.baseAddress!)
            }
            dy.withUnsafeBufferPointer { pdy in
                dx.withUnsafeMutableBufferPointer { pdx in
                    dw.withUnsafeMutableBufferPointer { pdw in
                        Convolution.backward(
                            pdy.baseAddress!, input: px.baseAddress!, weight: pw.baseAddress!, g,
                            outChannels: c.outChannels, groups: c.groups, inputGradient: pdx.baseAddress!,
                            weightGradient: pdw.baseAddress!)
                    }
                }
            }
        }
    }
    func worst(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { Swift.abs($0 - $1) }.max() ?? .nan }
    #expect(worst(y, expected.y) < 1e-4)
    #expect(worst(dx, expected.dx) < 1e-4)
    #expect(worst(dw, expected.dw) < 1e-4)
}

@Test("2x2 max pool picks the largest (NaN first met) and its index", arguments: [(3, 22), (4, 8), (2, 6), (5, 9)])
func maxPool2x2MatchesLoops(_ size: (height: Int, width: Int)) {
    let g = ConvGeometry(batch: 2, channels: 3, height: size.height, width: size.width, kernelHeight: 2, kernelWidth: 2,
                         strideHeight: 2, strideWidth: 2)
    var x = (0..<(g.batch * g.channels * g.height * g.width)).map { Float(($0 * 37) % 101) - 50 }
    x[5] = .nan
    x[g.width + 9] = .nan
    let count = g.batch * g.channels * g.outputHeight * g.outputWidth
    var out = [Float](repeating: 0, count: count), argmax = [Int](repeating: -7, count: count)
    x.withUnsafeBufferPointer { px in
        out.withUnsafeMutableBufferPointer { po in
            argmax.withUnsafeMutableBufferPointer { pa in Pooling.maxPool(px.baseAddress!, g, po.baseAddress!, argmax: pa.baseAddress!) }
        }
    }
    let plane = g.height * g.width
    for p in 0..<(g.batch * g.channels) {
        for i in 0..<g.outputHeight {
            for j in 0..<g.outputWidth {
                let window = [2 * i * g.width + 2 * j, 2 * i * g.width + 2 * j + 1,
                              (2 * i + 1) * g.width + 2 * j, (2 * i + 1) * g.width + 2 * j + 1]
                let winner = window.first { x[p * plane + $0].isNaN } ?? window.max { x[p * plane + $0] < x[p * plane + $1] }!
                let o = (p * g.outputHeight + i) * g.outputWidth + j
                #expect(argmax[o] == winner)
                #expect(out[o].bitPattern == x[p * plane + winner].bitPattern)
            }
        }
    }
}
