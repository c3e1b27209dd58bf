# torch_python.sh — sourced by the PyTorch tests: torch_python MODULES sets $python to the first of
# $BYOLCL_PYTHON, python3, /usr/bin/python3 that imports MODULES (comma-separated); empty if none.
# torch_test_needs MODULES PACKAGES DATA_FILE WHAT: the same, and exits 77 (a skip ctest shows)
# with the missing Debian package named when no Python has MODULES or DATA_FILE is absent.
torch_python() {
  python=""
  local candidate
  for candidate in "${BYOLCL_PYTHON:-}" python3 /usr/bin/python3; do
    if [ -n "$candidate" ] && "$candidate" -c "import $1" 2>/dev/null; then
      python=$candidate
      return
    fi
  done
}

torch_test_needs() {
  torch_python "$1"
  if [ -z "$python" ]; then
    echo "SKIP: no python3 with $1 (Debian: $2, which tools/install-deps.sh installs); $4 did not run"
    exit 77
  fi
  if [ ! -e "$3" ]; then
    echo "SKIP: Fashion-MNIST is not installed (Debian: dataset-fashion-mnist); $4 did not run"
    exit 77
  fi
}
