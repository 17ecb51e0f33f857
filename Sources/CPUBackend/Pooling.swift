/// Max and average pooling over NCHW windows (no dilation for averages).
public enum Pooling {
    /// `out[n, c, i, j]` = the largest value in the window, `argmax` its flat index within the
    /// image plane (-1 when the window lies wholly in padding). Padding never wins.
    public static func maxPool(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, _ out: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int>
    ) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let unpadded = g.padTop == 0 && g.padBottom == 0 && g.padLeft == 0 && g.padRight == 0
        Parallel.forChunks(of: g.batch * g.channels, grain: Swift.max(1, 4096 / Swift.max(oh * ow * g.taps, 1))) { planes in
            for p in planes {
                let src = x + p * g.height * g.width
                if unpadded && g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
                    && g.dilationHeight == 1 && g.dilationWidth == 1
                {
                    // The common 2x2, stride-2 window, eight outputs at a time.
                    let o = out + p * oh * ow, a = argmax + p * oh * ow
                    for i in 0..<oh {
                        maxPool2x2Row(src + 2 * i * g.width, width: g.width, first: 2 * i * g.width,
                                      out: o + i * ow, argmax: a + i * ow, count: ow)
                    }
                    continue
                }
                if unpadded {
                    // Every window lies inside the image: no bounds checks. A NaN is taken when met
                    // and never replaced by a number, so NaN propagates as in PyTorch. Geometry is
                    // copied into locals so the loop keeps it in registers.
                    let (width, sh, sw) = (g.width, g.strideHeight, g.strideWidth)
                    let (kh, kw, dh, dw) = (g.kernelHeight, g.kernelWidth, g.dilationHeight * g.width, g.dilationWidth)
                    let o = out + p * oh * ow, a = argmax + p * oh * ow
                    for i in 0..<oh {
                        for j in 0..<ow {
                            let origin = i * sh * width + j * sw
                            var bestIndex = origin, best = src[origin]
                            for ki in 0..<kh {
                                let rowStart = origin + ki * dh
                                for kj in 0..<kw {
                                    let k = rowStart + kj * dw
                                    let v = src[k]
                                    // Branch-free: comparisons on image data mispredict often.
                                    let take = v > best || v != v
                                    best = take ? v : best
                                    bestIndex = take ? k : bestIndex
                                }
                            }
                            o[i * ow + j] = best
                            a[i * ow + j] = bestIndex
                        }
                    }
                    continue
                }
                for i in 0..<oh {
                    for j in 0..<ow {
                        var best = -Float.infinity, bestIndex = -1
                        for ki in 0..<g.kernelHeight {
                            let y = i * g.strideHeight + ki * g.dilationHeight - g.padTop
                            if y < 0 || y >= g.height { continue }
                            for kj in 0..<g.kernelWidth {
                                let xx = j * g.strideWidth + kj * g.dilationWidth - g.padLeft
                                if xx < 0 || xx >= g.width { continue }
                                let v = src[y * g.width + xx]
                                if v > best || bestIndex < 0 || v.isNaN {
                                    best = v
                                    bestIndex = y * g.width + xx
                                    if v.isNaN { break }
                                }
                            }
                        }
                        out[(p * oh + i) * ow + j] = best
                        argmax[(p * oh + i) * ow + j] = bestIndex
                    }
                }
            }
        }
    }

    /// One output row of a 2x2, stride-2 max pool: `out[j]` = max of `top[2j, 2j+1]` and the same
    /// two in the next row (`width` further), `argmax[j]` its index in the plane, the top row
    /// starting at index `first`. Four outputs per step (the last step overlaps the one before
    /// when `count` is not a multiple of 4); branch-free picks, a NaN taken when met and kept.
    @inline(__always)
    static func maxPool2x2Row(
        _ top: UnsafePointer<Float>, width: Int, first: Int, out: UnsafeMutablePointer<Float>,
        argmax: UnsafeMutablePointer<Int>, count: Int
    ) {
        let bottom = top + width
        let lanes = SIMD4<Int>(0, 2, 4, 6)
        @inline(__always) func four(_ j: Int) {
            let upper = UnsafeRawPointer(top + 2 * j).loadUnaligned(as: SIMD8<Float>.self)
            let lower = UnsafeRawPointer(bottom + 2 * j).loadUnaligned(as: SIMD8<Float>.self)
            var best = upper.evenHalf, offset = SIMD4<Int32>(repeating: 0)
            @inline(__always) func consider(_ v: SIMD4<Float>, at position: Int32) {
                let take = (v .> best) .| (v .!= v)
                best.replace(with: v, where: take)
                offset.replace(with: position, where: take)
            }
            consider(upper.oddHalf, at: 1)
            consider(lower.evenHalf, at: Int32(width))
            consider(lower.oddHalf, at: Int32(width + 1))
            UnsafeMutableRawPointer(out + j).storeBytes(of: best, as: SIMD4<Float>.self)
            let index = SIMD4<Int>(truncatingIfNeeded: offset) &+ lanes &+ (first + 2 * j)
            UnsafeMutableRawPointer(argmax + j).storeBytes(of: index, as: SIMD4<Int>.self)
        }
        if count >= 4 {
            var j = 0
            while j + 4 <= count {
                four(j)
                j += 4
            }
            if j < count { four(count - 4) }
            return
        }
        for j in 0..<count {
            var bestIndex = 2 * j, best = top[bestIndex]
            for k in [2 * j + 1, 2 * j + width, 2 * j + width + 1] {
                let v = top[k]
                let take = v > best || v != v
                best = take ? v : best
                bestIndex = take ? k : bestIndex
            }
            out[j] = best
            argmax[j] = first + bestIndex
        }
    }

    /// Routes each output gradient to the input position that won the max.
    public static func maxPoolBackward(
        _ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int>, _ g: ConvGeometry, into dx: UnsafeMutablePointer<Float>
    ) {
        let plane = g.outputHeight * g.outputWidth
        Parallel.forChunks(of: g.batch * g.channels, grain: 64) { planes in
            for p in planes {
                let base = dx + p * g.height * g.width
                for k in 0..<plane where argmax[p * plane + k] >= 0 {
                    base[argmax[p * plane + k]] += dy[p * plane + k]
                }
            }
        }
    }

    /// Window means. With `countPadding` the divisor is the full window (PyTorch's default
    /// `count_include_pad=True`); otherwise only the positions inside the image count.
    public static func averagePool(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, countPadding: Bool, _ out: UnsafeMutablePointer<Float>
    ) {
        forEachWindow(g, countPadding: countPadding) { p, o, y0, y1, x0, x1, scale in
            let src = x + p * g.height * g.width
            var s: Float = 0
            for y in y0..<y1 { for xx in x0..<x1 { s += src[y * g.width + xx] } }
            out[o] = s * scale
        }
    }

    /// Spreads each output gradient evenly over its window.
    public static func averagePoolBackward(
        _ dy: UnsafePointer<Float>, _ g: ConvGeometry, countPadding: Bool, into dx: UnsafeMutablePointer<Float>
    ) {
        forEachWindow(g, countPadding: countPadding) { p, o, y0, y1, x0, x1, scale in
            let dst = dx + p * g.height * g.width
            let v = dy[o] * scale
            for y in y0..<y1 { for xx in x0..<x1 { dst[y * g.width + xx] += v } }
        }
    }

    /// Calls `body(plane, outputIndex, y0, y1, x0, x1, 1 / divisor)` for every window, the
    /// ranges clipped to the image; split over planes so writes into one plane stay on one thread.
    @inline(__always)
    static func forEachWindow(
        _ g: ConvGeometry, countPadding: Bool, _ body: (Int, Int, Int, Int, Int, Int, Float) -> Void
    ) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        Parallel.forChunks(of: g.batch * g.channels, grain: Swift.max(1, 4096 / Swift.max(oh * ow * g.taps, 1))) { planes in
            for p in planes {
                for i in 0..<oh {
                    let top = i * g.strideHeight - g.padTop
                    let y0 = Swift.max(top, 0), y1 = Swift.min(top + g.kernelHeight, g.height)
                    let paddedRows = Swift.min(top + g.kernelHeight, g.height + g.padBottom) - top
                    for j in 0..<ow {
                        let left = j * g.strideWidth - g.padLeft
                        let x0 = Swift.max(left, 0), x1 = Swift.min(left + g.kernelWidth, g.width)
                        let paddedCols = Swift.min(left + g.kernelWidth, g.width + g.padRight) - left
                        let count = countPadding ? paddedRows * paddedCols : Swift.max((y1 - y0) * (x1 - x0), 1)
                        body(p, (p * oh + i) * ow + j, y0, y1, x0, x1, 1 / Float(count))
                    }
                }
            }
        }
    }
}
