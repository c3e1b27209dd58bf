#!/usr/bin/env bash
# check_includes.sh — the dependency rules of docs/architecture.md, checked over the #include
# lines of the sources (a ctest): only src/device includes OpenCL and CLBlast, only src/dist MPI; a module
# includes the public headers of the modules below it and its own, never those above; a
# private header (src/<module>/*.h) is included only from its own folder (and src/util's
# from anywhere). tests/ and tools/ may include private headers, never OpenCL's.
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"

# The module that owns each public header.
owner() {
    case $1 in
    byolcl.h | log.h) echo util ;;
    device.h) echo device ;;
    ops.h) echo ops ;;
    arena.h | nn.h | init.h) echo nn ;;
    augment.h) echo augment ;;
    data.h) echo data ;;
    train.h | checkpoint.h | optimizer.h | ema.h | schedule.h | metrics.h) echo byol ;;
    dist.h) echo dist ;;
    eval.h) echo eval ;;
    export.h) echo export ;;
    *) echo unknown ;;
    esac
}

# The modules each module may include (itself and those below it).
allowed() {
    case $1 in
    util) echo "util" ;;
    device) echo "util device" ;;
    ops) echo "util device ops" ;;
    nn) echo "util device ops nn" ;;
    augment) echo "util device augment data" ;;
    data) echo "util data" ;;
    dist) echo "util dist" ;;
    byol) echo "util device ops nn augment data dist byol" ;;
    eval) echo "util device ops nn augment data dist byol eval" ;;
    export) echo "util device ops nn augment data dist byol eval export" ;;
    cli) echo "util device ops nn augment data dist byol eval export cli" ;;
    esac
}

problems=0
report() {
    echo "$1" >&2
    problems=$((problems + 1))
}

# Where a source file belongs: src/<module>/..., include/byolcl/<header> (its owner), or
# "outside" (tests, tools).
module_of() {
    case $1 in
    src/*) local rest=${1#src/}; echo "${rest%%/*}" ;;
    include/byolcl/*) owner "$(basename "$1")" ;;
    *) echo outside ;;
    esac
}

while IFS= read -r file; do
    module=$(module_of "$file")
    while IFS= read -r line; do
        target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"].*/\1/' <<<"$line")
        case $target in
        CL/* | clblast*)
            [[ $file == src/device/* ]] || report "$file: includes <$target>: only src/device talks to OpenCL"
            continue ;;
        mpi.h)
            [[ $file == src/dist/* ]] || report "$file: includes <$target>: only src/dist talks to MPI"
            continue ;;
        esac
        [[ $line == *'"'* ]] || continue # system headers
        case $target in
        byolcl/*)
            [[ $module == outside ]] && continue
            dep=$(owner "$(basename "$target")")
            [[ $dep == unknown ]] && { report "$file: includes $target, which has no owning module in tests/check_includes.sh"; continue; }
            [[ " $(allowed "$module") " == *" $dep "* ]] ||
                report "$file: includes $target ($dep): $module may include only $(allowed "$module")" ;;
        */*)
            folder=${target%%/*}
            [[ $module == outside || $folder == util || $folder == "$module" ]] ||
                report "$file: includes $target: private to src/$folder" ;;
        esac
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$file" || true)
done < <(find src include tools tests -name '*.[ch]' -not -path '*/build*' | sort)

if ((problems)); then
    echo "$problems include rule(s) broken (docs/architecture.md)" >&2
    exit 1
fi
echo "include rules hold"
