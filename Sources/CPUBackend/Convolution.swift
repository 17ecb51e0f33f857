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
    /// The weight gradient is summed over the images in `HalvingTree`'s shape (leaves of
    /// `imageLeaf` images, each into its own buffer, added up the tree): the same bits for any
    /// number of cores, and for a batch split between processes. With at least one leaf per
    /// core, the cores share out the leaves.
    public static func backward(
        _ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, _ g: ConvGeometry,
        outChannels: Int, groups: Int, inputGradient dx: UnsafeMutablePointer<Float>?,
        weightGradient dw: UnsafeMutablePointer<Float>?
    ) {
        let cg = g.channels / groups, ocg = outChannels / groups, k = cg * g.taps
        let plane = g.outputHeight * g.outputWidth, weightCount = outChannels * k
        let leaves = HalvingTree.leaves(of: g.batch, leaf: HalvingTree.imageLeaf)
        let split = perCore(g) && leaves.count >= Parallel.coreCount, step = imagesPerProduct(g)
        // Leaf 0 sums into dw itself; the others into their own buffers.
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: dw == nil ? 0 : (leaves.count - 1) * weightCount)
        defer { partials.deallocate() }
        let sums = dw.map { [$0] + (1..<leaves.count).map { partials + ($0 - 1) * weightCount } } ?? []
        Parallel.forChunks(of: leaves.count, grain: split ? 1 : leaves.count) { leafRange in
            let cols = UnsafeMutablePointer<Float>.allocate(capacity: k * step * plane)
            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: step > 1 ? ocg * step * plane : 0)
            defer { cols.deallocate(); gathered.deallocate() }
            for leaf in leafRange {
                let images = leaves[leaf]
                let weightSum = sums.isEmpty ? nil : sums[leaf]
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
        }
        if !sums.isEmpty && leaves.count > 1 {
            HalvingTree.combine(sums, length: weightCount, count: g.batch, leaf: HalvingTree.imageLeaf)
        }
    }
}
