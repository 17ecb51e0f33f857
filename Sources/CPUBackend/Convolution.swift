/// The shape arithmetic of a 2-D convolution or pooling window over NCHW data.
public struct ConvGeometry: Sendable, Hashable {
    public var batch, channels, height, width: Int
    public var kernelHeight, kernelWidth: Int
    public var strideHeight, strideWidth: Int
    public var padTop, padBottom, padLeft, padRight: Int
    public var dilationHeight, dilationWidth: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int = 1, strideWidth: Int = 1, padTop: Int = 0, padBottom: Int = 0,
                padLeft: Int = 0, padRight: Int = 0, dilationHeight: Int = 1, dilationWidth: Int = 1) {
        self.batch = batch; self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight; self.strideWidth = strideWidth
        self.padTop = padTop; self.padBottom = padBottom; self.padLeft = padLeft; self.padRight = padRight
        self.dilationHeight = dilationHeight; self.dilationWidth = dilationWidth
    }

    public var outputHeight: Int {
        (height + padTop + padBottom - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
    }
    public var outputWidth: Int {
        (width + padLeft + padRight - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
    }
    /// Rows of the unfolded matrix per channel: one per kernel tap.
    public var taps: Int { kernelHeight * kernelWidth }
}

/// Unfolding windows into columns (im2col) and folding them back (col2im): convolution as a
/// matrix product.
public enum Convolution {
    /// Unfolds channels `c0..<c0+cs` of images `n0..<n0+ns` of `x` (NCHW) into `cols`, laid out
    /// `[cs * taps, ns * OH * OW]`: row `(c, ki, kj)`, column `(n, oh, ow)`. Padding reads as 0.
    public static func im2col(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, channels c0: Int, count cs: Int, images n0: Int, count ns: Int,
        into cols: UnsafeMutablePointer<Float>
    ) {
        let rowLength = ns * g.outputHeight * g.outputWidth
        Parallel.forChunks(of: cs * g.taps, grain: Swift.max(1, 16384 / Swift.max(rowLength, 1))) { rows in
            unfold(x, g, channels: c0, images: n0, count: ns, rows: rows, into: cols)
        }
    }

    /// `im2col` for rows `rows` of the unfolded matrix, on the calling thread.
    static func unfold(
        _ x: UnsafePointer<Float>, _ g: ConvGeometry, channels c0: Int, images n0: Int, count ns: Int, rows: Range<Int>,
        into cols: UnsafeMutablePointer<Float>
    ) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let plane = oh * ow, rowLength = ns * plane
        for row in rows {
            let c = row / g.taps, tap = row % g.taps
            let ki = tap / g.kernelWidth, kj = tap % g.kernelWidth
            let dy = ki * g.dilationHeight - g.padTop, dx = kj * g.dilationWidth - g.padLeft
            for n in 0..<ns {
                let src = x + ((n0 + n) * g.channels + c0 + c) * g.height * g.width
                let dst = cols + row * rowLength + n * plane
                for i in 0..<oh {
                    let y = i * g.strideHeight + dy
                    let out = dst + i * ow
                    if y < 0 || y >= g.height {
                        out.update(repeating: 0, count: ow)
                        continue
                    }
                    let line = src + y * g.width
                    if g.strideWidth == 1 {
                        // Contiguous run: zeros at the edges, a copy in between.
                        let first = Swift.max(0, -dx), last = Swift.min(ow, g.width - dx)
                        if first > 0 { out.update(repeating: 0, count: Swift.min(first, ow)) }
                        if last > first { (out + first).update(from: line + first + dx, count: last - first) }
                        if last < ow { (out + Swift.max(last, 0)).update(repeating: 0, count: ow - Swift.max(last, 0)) }
                    } else {
                        // Strided: zeros where the window column falls in the padding, a gather between.
                        let sw = g.strideWidth
                        let first = Swift.min(ow, dx >= 0 ? 0 : (-dx + sw - 1) / sw)
                        let last = Swift.max(first, Swift.min(ow, g.width - dx <= 0 ? 0 : (g.width - dx + sw - 1) / sw))
                        if first > 0 { out.update(repeating: 0, count: first) }
                        let from = line + dx
                        for j in first..<last { out[j] = from[j &* sw] }
                        if last < ow { (out + last).update(repeating: 0, count: ow - last) }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every column entry back into its image position in `dx`
    /// (NCHW, accumulated). Split over images, so no two threads write the same place.
    public static func col2im(
        _ cols: UnsafePointer<Float>, _ g: ConvGeometry, channels c0: Int, count cs: Int, images n0: Int, count ns: Int,
        into dx: UnsafeMutablePointer<Float>
    ) {
        Parallel.forChunks(of: ns, grain: 1) { images in
            fold(cols, g, channels: c0, count: cs, images: n0, count: ns, only: images, into: dx)
        }
    }

    /// `col2im` for the images `only` (offsets into `0..<ns`), on the calling thread.
    static func fold(
        _ cols: UnsafePointer<Float>, _ g: ConvGeometry, channels c0: Int, count cs: Int, images n0: Int, count ns: Int,
        only images: Range<Int>, into dx: UnsafeMutablePointer<Float>
    ) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let plane = oh * ow, rowLength = ns * plane
        for n in images {
            for row in 0..<(cs * g.taps) {
                let c = row / g.taps, tap = row % g.taps
                let ki = tap / g.kernelWidth, kj = tap % g.kernelWidth
                let dy = ki * g.dilationHeight - g.padTop, dxo = kj * g.dilationWidth - g.padLeft
                let dst = dx + ((n0 + n) * g.channels + c0 + c) * g.height * g.width
                let src = cols + row * rowLength + n * plane
                // Columns j whose source x = j·stride + dxo lies inside the row.
                let firstJ = dxo >= 0 ? 0 : (-dxo + g.strideWidth - 1) / g.strideWidth
                let lastJ = Swift.min(ow, g.width - dxo <= 0 ? 0 : (g.width - dxo + g.strideWidth - 1) / g.strideWidth)
                for i in 0..<oh {
                    let y = i * g.strideHeight + dy
                    if y < 0 || y >= g.height || firstJ >= lastJ { continue }
                    let line = dst + y * g.width + dxo, from = src + i * ow
                    if g.strideWidth == 1 {
                        for j in firstJ..<lastJ { line[j] += from[j] }
                    } else {
                        let sw = g.strideWidth
                        for j in firstJ..<lastJ { line[j &* sw] += from[j] }
                    }
                }
            }
        }
    }
}

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

extension Convolution {
    /// Images unfolded together: enough that one product has a few hundred columns, so small
    /// planes (7x7) still make efficient products; one image when its plane alone is that wide,
    /// and then the product is written straight into the output.
    static func imagesPerProduct(_ g: ConvGeometry) -> Int {
        Swift.max(1, 256 / Swift.max(g.outputHeight * g.outputWidth, 1))
    }

    /// How the batch is spread: with at least one image per core, each core takes a contiguous
    /// share of the images and runs its own unfolds and single-threaded products (no BLAS
    /// threads, no barrier per product, scratch that stays in its cache); a smaller batch runs
    /// image by image with each unfold and product split over the cores instead.
    static func perCore(_ g: ConvGeometry) -> Bool { g.batch >= Parallel.coreCount }

    /// `y = conv(x, w)` without bias. Shape: x `[N, C, H, W]`, w `[OC, C/groups, kh, kw]`,
    /// y `[N, OC, OH, OW]` (written whole).
    public static func forward(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: ConvGeometry, outChannels: Int, groups: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        let cg = g.channels / groups, ocg = outChannels / groups, k = cg * g.taps
        let plane = g.outputHeight * g.outputWidth
        let split = perCore(g), step = imagesPerProduct(g)
        Parallel.forChunks(of: g.batch, grain: split ? 1 : g.batch) { images in
            let cols = UnsafeMutablePointer<Float>.allocate(capacity: k * step * plane)
            let product = UnsafeMutablePointer<Float>.allocate(capacity: step > 1 ? ocg * step * plane : 0)
            defer { cols.deallocate(); product.deallocate() }
            for n0 in stride(from: images.lowerBound, to: images.upperBound, by: step) {
                let ns = Swift.min(step, images.upperBound - n0), columns = ns * plane
                for group in 0..<groups {
                    if split {
                        unfold(x, g, channels: group * cg, images: n0, count: ns, rows: 0..<k, into: cols)
                    } else {
                        im2col(x, g, channels: group * cg, count: cg, images: n0, count: ns, into: cols)
                    }
                    let out = y + (n0 * outChannels + group * ocg) * plane
                    // One image: its [ocg, plane] block of y is the product itself.
                    Gemm.sgemm(transposeA: false, transposeB: false, m: ocg, n: columns, k: k,
                               a: w + group * ocg * k, lda: k, b: cols, ldb: columns,
                               c: ns == 1 ? out : product, ldc: columns, splitOverCores: !split)
                    if ns > 1 {
                        // [ocg, ns, plane] -> y[n0 + n, group * ocg + o, :]
                        for o in 0..<ocg {
                            for n in 0..<ns {
                                (out + (n * outChannels + o) * plane).update(from: product + (o * ns + n) * plane, count: plane)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Both gradients of `y = conv(x, w)` in one pass over `dy`, each only if its buffer is given:
    /// `dx` (zeroed by the caller) += col2im(wᵀ · dy), and `dw` = dy · im2col(x)ᵀ, per group.
    /// With the batch spread over the cores, each core sums its images' weight gradient into its
    /// own buffer and the buffers are added at the end.
    public static func backward(
        _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, _ g: ConvGeometry,
        outChannels: Int, groups: Int, inputGradient dx: UnsafeMutablePointer<Float>?,
        weightGradient dw: UnsafeMutablePointer<Float>?
    ) {
        let cg = g.channels / groups, ocg = outChannels / groups, k = cg * g.taps
        let plane = g.outputHeight * g.outputWidth, weightCount = outChannels * k
        let split = perCore(g), step = imagesPerProduct(g)
        let grain = split ? 1 : g.batch
        let chunks = Parallel.chunkCount(of: g.batch, grain: grain)
        // Chunk 0 writes into dw itself; the others into partial sums.
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: dw == nil ? 0 : (chunks - 1) * weightCount)
        defer { partials.deallocate() }
        Parallel.forEachChunk(of: g.batch, grain: grain) { chunk, images in
            let cols = UnsafeMutablePointer<Float>.allocate(capacity: k * step * plane)
            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: step > 1 ? ocg * step * plane : 0)
            defer { cols.deallocate(); gathered.deallocate() }
            let weightSum = dw.map { chunk == 0 ? $0 : partials + (chunk - 1) * weightCount }
            for n0 in stride(from: images.lowerBound, to: images.upperBound, by: step) {
                let ns = Swift.min(step, images.upperBound - n0), columns = ns * plane
                for group in 0..<groups {
                    // dy for these images and the group's channels as an [ocg, columns] matrix:
                    // for one image, its block of dy as it lies.
                    let block = dy + (n0 * outChannels + group * ocg) * plane
                    if ns > 1 {
                        for o in 0..<ocg {
                            for n in 0..<ns {
                                (gathered + (o * ns + n) * plane).update(from: block + (n * outChannels + o) * plane, count: plane)
                            }
                        }
                    }
                    let mat = ns > 1 ? UnsafePointer(gathered) : block
                    if let weightSum {
                        if split {
                            unfold(x, g, channels: group * cg, images: n0, count: ns, rows: 0..<k, into: cols)
                        } else {
                            im2col(x, g, channels: group * cg, count: cg, images: n0, count: ns, into: cols)
                        }
                        Gemm.sgemm(transposeA: false, transposeB: true, m: ocg, n: k, k: columns,
                                   a: mat, lda: columns, b: cols, ldb: columns, beta: n0 == images.lowerBound ? 0 : 1,
                                   c: weightSum + group * ocg * k, ldc: k, splitOverCores: !split)
                    }
                    if let dx {
                        Gemm.sgemm(transposeA: true, transposeB: false, m: k, n: columns, k: ocg,
                                   a: w + group * ocg * k, lda: k, b: mat, ldb: columns, c: cols, ldc: columns,
                                   splitOverCores: !split)
                        if split {
                            fold(cols, g, channels: group * cg, count: cg, images: n0, count: ns, only: 0..<ns, into: dx)
                        } else {
                            col2im(cols, g, channels: group * cg, count: cg, images: n0, count: ns, into: dx)
                        }
                    }
                }
            }
        }
        if let dw, chunks > 1 {
            for chunk in 1..<chunks {
                let partial = partials + (chunk - 1) * weightCount
                for i in 0..<weightCount { dw[i] += partial[i] }
            }
        }
    }
}
