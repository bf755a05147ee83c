# Sourced by ./dev: installs everything Seikyu needs on a fresh Debian machine, idempotently.
# System packages come from Debian, Python packages from PyPI through uv and the committed uv.lock.

SEIKYU_APT_PACKAGES=(postgresql-client)

find_python312() {
  local candidate
  for candidate in python3.12 python3.13 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
    if "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  return 1
}

install_system_packages() {
  local missing=()
  local pkg
  for pkg in "${SEIKYU_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

seikyu_setup() {
  install_system_packages
  local python
  python="$(find_python312)" || { echo "setup: Python >= 3.12 not found" >&2; exit 1; }
  if [ ! -x .tools/bin/uv ]; then
    "$python" -m venv .tools >&2
    .tools/bin/pip install -q "uv==0.13.8" >&2
  fi
  UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --frozen --python "$python" --quiet >&2
}
