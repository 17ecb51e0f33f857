#!/bin/sh
# Writes the gzip fixtures of GzipTests (run from this folder; gzip -n leaves out the name and
# time, so the output is the same every run).
set -e
labels() { printf '\000\000\010\001'; printf "$1"; }   # IDX header of rank 1: magic, then the count
digits='\000\001\002\003\004\005\006\007\010\011'

# Ten labels 0...9.
{ labels '\000\000\000\012'; printf "$digits"; } | gzip -n -9 > labels.idx1.gz
# The same as two gzip members, the header in the first and the labels in the second.
{ labels '\000\000\000\012' | gzip -n -9; printf "$digits" | gzip -n -9; } > concatenated.idx1.gz
# A header promising 5 labels, then 256 KiB of zeros: a small gzip bomb.
{ labels '\000\000\000\005'; head -c 262144 /dev/zero; } | gzip -n -9 > bomb.idx1.gz
# A header promising a million labels (within what deflate could expand the file to), then ten.
{ labels '\000\017\102\100'; printf "$digits"; } | gzip -n -9 > lying.idx1.gz
# A header promising 2^31 x 2^31 elements, and nothing else.
printf '\000\000\010\002\200\000\000\000\200\000\000\000' | gzip -n -9 > huge.idx2.gz
