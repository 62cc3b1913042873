# Shared by bin/start and bin/test: create .venv if needed and install a requirements file
# when it changed since the last install (a stamp in .venv remembers its checksum).
# pip takes torch==2.13.0 from the wheel on disk where pip is configured with it
# (find-links); requirements pin it exactly, so pip never picks another torch.

PYTHON_VERSION_WANTED="3.11"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$PYTHON_VERSION_WANTED" ]; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "error: Python $PYTHON_VERSION_WANTED is needed (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

ensure_venv() {
  local requirements="$1" python stamp wanted
  if [ ! -x .venv/bin/python ]; then
    python="$(find_python)"
    echo "→ creating .venv with $python"
    "$python" -m venv .venv
  fi
  stamp=".venv/.installed-$(basename "$requirements" .txt)"
  # requirements-dev.txt includes requirements.txt, so both count.
  wanted="$(cat requirements.txt "$requirements" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "→ installing $requirements into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
  fi
}
