# Sourced by ./dev: installs what Seikyu needs on a fresh Debian machine, idempotently and quietly.
# System packages come from Debian, Python packages from PyPI through uv and the committed uv.lock.

# What Seikyu runs with: psql/pg_dump/pg_isready, and the Japanese font its PDFs embed.
SEIKYU_APT_PACKAGES=(postgresql-client fonts-noto-cjk)
# What only the tests need: the browser the browser tests drive, pdftotext and pdftoppm for documents.
SEIKYU_TEST_APT_PACKAGES=(chromium poppler-utils)
SEIKYU_UV_VERSION="0.13.8"

# As root, or through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  echo "setup: installing Debian packages: $*" >&2
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

install_system_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

# The newest Python 3.12 (preferred: what uv.lock was made with), else a newer 3.x. Interpreters
# are looked for by path before PATH, because pyenv's shims answer only for the selected version.
find_python() {
  local minor candidate
  for minor in 12 13 14 15; do
    for candidate in \
        $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3."$minor".*/bin/python3."$minor" 2>/dev/null | sort -rV) \
        /usr/local/bin/python3."$minor" /usr/bin/python3."$minor" "python3.$minor"; do
      if "$candidate" -c 'import sys, venv; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then
        command -v "$candidate"
        return 0
      fi
    done
  done
  return 1
}

# uv itself, from PyPI, in a private virtualenv under .tools/.
install_uv() {
  local python="$1"
  .tools/bin/uv --version 2>/dev/null | grep -qF "uv $SEIKYU_UV_VERSION" && return 0
  echo "setup: installing uv $SEIKYU_UV_VERSION into .tools/" >&2
  "$python" -m venv --clear .tools >&2
  .tools/bin/python -m pip install -q --disable-pip-version-check "uv==$SEIKYU_UV_VERSION" >&2
}

# seikyu_setup [tests]: everything to run Seikyu, and with "tests" what the suite needs too.
seikyu_setup() {
  if [ "${1:-}" = tests ]; then
    install_system_packages "${SEIKYU_APT_PACKAGES[@]}" "${SEIKYU_TEST_APT_PACKAGES[@]}"
  else
    install_system_packages "${SEIKYU_APT_PACKAGES[@]}"
  fi
  local python
  python="$(find_python)" || { echo "setup: Python >= 3.12 not found (looked in pyenv, /usr/local/bin, /usr/bin, PATH)" >&2; exit 1; }
  install_uv "$python"
  UV_PYTHON_DOWNLOADS=never .tools/bin/uv sync --frozen --python "$python" --quiet >&2
}
