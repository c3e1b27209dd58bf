# torch_python.sh — sourced by the PyTorch tests: torch_python MODULES sets $python to the first of
# $BYOLCL_PYTHON, python3, /usr/bin/python3 that imports MODULES (comma-separated); empty if none.
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
