# Shared settings of the scripts; sourced, not run.
# The venv and other caches live outside the clone (keyed by what they hold), so a fresh clone
# on a machine that ran before starts fast, and a fresh machine builds them once.
GP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GP_CACHE="${GP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/graduate-photo}"
export GP_VENV="${GP_VENV:-$GP_CACHE/venv}"
export PATH="$GP_VENV/bin:$HOME/.cargo/bin:$PATH"
GP_LOCAL="$GP_ROOT/.local"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
