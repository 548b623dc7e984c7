#!/usr/bin/env bash
# The Debian 12 packages each command needs, checked before the command does anything else.
#
#   .ci/requirements.sh run|test|bench|faults|ci          check; as root, install what is missing
#   .ci/requirements.sh --list run|test|bench|faults|ci   every package the command needs
#
# As root, missing packages are installed (apt-get update once, --no-install-recommends);
# otherwise the script stops with one line naming them. README.md's "Requirements" lists the
# same packages (tests/test_requirements.py compares the two).
set -euo pipefail

# <package> <how to tell it is there> <needed by...>. How: cmd:NAME (a command on PATH),
# lib:SONAME (a shared library ldconfig knows), file:GLOB (a file), py:MODULE (a module the
# Python of the venv, $PYTHON or python3.11, imports). Needed by: run = make run (and so every
# other command), test = make test (the server packages too: the suite itself starts private
# servers, and make test does when none answers), bench = make bench, faults = make faults,
# ci = .ci/run.
PACKAGES='
make                 cmd:make                                    run
python3.11           py:sys                                      run
python3.11-venv      py:ensurepip                                run
gettext              cmd:msgfmt                                  run
libpango-1.0-0       lib:libpango-1.0.so.0                       run
libpangoft2-1.0-0    lib:libpangoft2-1.0.so.0                    run
libharfbuzz0b        lib:libharfbuzz.so.0                        run
libharfbuzz-subset0  lib:libharfbuzz-subset.so.0                 run
fonts-dejavu-core    file:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf  run
chromium             file:/usr/bin/chromium                      test
npm                  cmd:npm                                     test
postgresql-client    cmd:pg_isready                              test
redis-tools          cmd:redis-cli                               test
postgresql           file:/usr/lib/postgresql/*/bin/initdb       test faults
redis-server         cmd:redis-server                            test faults
docker-compose       cmd:docker-compose                          ci
nginx                file:/usr/sbin/nginx                        test bench faults
'


usage() {
  echo "usage: $0 [--list] run|test|bench|faults|ci" >&2
  exit 2
}

# tags GROUP: the tags of the packages GROUP needs.
tags() {
  case $1 in
    run) echo run ;;
    bench) echo run bench ;;
    faults) echo run faults ;;
    ci) echo run test bench faults ci ;;
    test) echo run test ;;
    *) usage ;;
  esac
}

# packages TAG...: "<package> <how>" for each package carrying any of the tags, in table order.
packages() {
  local wanted=" $* " package how needed tag
  while read -r package how needed; do
    [ -n "$package" ] || continue
    for tag in $needed; do
      if [[ $wanted == *" $tag "* ]]; then
        echo "$package $how"
        break
      fi
    done
  done <<<"$PACKAGES"
}

# present HOW: is what the package provides there?
present() {
  local kind=${1%%:*} what=${1#*:}
  case $kind in
    cmd) command -v "$what" >/dev/null 2>&1 ;;
    lib) PATH=$PATH:/sbin:/usr/sbin ldconfig -p 2>/dev/null |
      awk -v lib="$what" '$1 == lib { found = 1 } END { exit !found }' ;;
    file) compgen -G "$what" >/dev/null ;;
    py) "${PYTHON:-python3.11}" -c "import $what" >/dev/null 2>&1 ;;
    *) echo "requirements: unknown check $1" >&2 && return 2 ;;
  esac
}

if [ "${1:-}" = --list ]; then
  [ $# = 2 ] || usage
  case $2 in run | test | bench | faults | ci) ;; *) usage ;; esac
  packages $(tags "$2") | cut -d' ' -f1
  exit 0
fi
[ $# = 1 ] || usage
case $1 in run | test | bench | faults | ci) ;; *) usage ;; esac

missing=()
while read -r package how; do
  present "$how" </dev/null || missing+=("$package")
done < <(packages $(tags "$1"))
[ ${#missing[@]} = 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing Debian packages, install them as root:" \
    "apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "requirements: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
