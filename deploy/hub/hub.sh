#!/usr/bin/env bash
# One Peninsula course on JupyterHub with nbgrader, on one Debian machine. Run as root:
#
#   deploy/hub/hub.sh up     install and configure everything (2-3 minutes; needs the package registries)
#   deploy/hub/hub.sh run    run the hub in the foreground (the systemd unit runs this too)
#   deploy/hub/hub.sh down   stop the hub and remove everything `up` created, and nothing else
#
# `up` reads its settings from PENINSULA_* environment variables (defaults below; deploy/README.md
# explains each). `run` and `down` need only PENINSULA_HUB_PREFIX: they read the rest from the files
# `up` wrote there. `up` records every user, folder and file it creates outside $PREFIX in
# $PREFIX/manifest; `down` removes exactly those (a folder it made but others filled is kept), then $PREFIX.
set -euo pipefail
umask 022

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PENINSULA_HUB_PREFIX:-/opt/peninsula-hub}
MANIFEST=$PREFIX/manifest
JUPYTERHUB_VERSION=6.1.1
PROXY_VERSION=5.3.0
APT_PACKAGES=(python3.11 python3.11-venv bubblewrap)

say() { echo "hub.sh: $*"; }
die() { echo "hub.sh: $*" >&2; exit 1; }
record() { echo "$1 $2" >>"$MANIFEST"; }

up() {
  local kit course_id grader instructors exchange site_dir ip port hub_api_port proxy_api_port service_port
  kit=${PENINSULA_KIT:-$(cd "$HERE/../.." && pwd)}
  course_id=${PENINSULA_COURSE_ID:-peninsula}
  grader=${PENINSULA_GRADER:-grader-$course_id}
  instructors=${PENINSULA_INSTRUCTORS:-}  # space-separated accounts allowed into the Formgrader
  exchange=${PENINSULA_EXCHANGE:-/usr/local/share/nbgrader/exchange}
  site_dir=${PENINSULA_SITE_CONFIG_DIR:-/etc/jupyter}
  ip=${PENINSULA_HUB_IP:-127.0.0.1}
  port=${PENINSULA_HUB_PORT:-8000}
  hub_api_port=${PENINSULA_HUB_API_PORT:-8081}
  proxy_api_port=${PENINSULA_PROXY_API_PORT:-8001}
  service_port=${PENINSULA_SERVICE_PORT:-9999}

  [ -e "$PREFIX" ] && die "$PREFIX exists: this course is set up already (run \`$0 down\` first)"
  [ -f "$kit/nbgrader_config.py" ] && [ -d "$kit/course" ] || die "$kit is not a Peninsula checkout"
  id -u "$grader" >/dev/null 2>&1 && die "user $grader exists; choose another PENINSULA_GRADER"
  [ -e "$site_dir/nbgrader_config.py" ] && die "$site_dir/nbgrader_config.py exists; merge it by hand"
  [ -e "$exchange/$course_id" ] && die "$exchange/$course_id exists: another course uses this id"

  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  # Any node with npm will do (NodeSource's nodejs bundles npm and conflicts with Debian's npm).
  command -v npm >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} with apt-get (left installed by \`down\`)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi

  install -d -m 0755 "$PREFIX" "$PREFIX/share"
  : >"$MANIFEST"
  chmod 0600 "$MANIFEST"
  cp "$HERE/hub.sh" "$HERE/start_singleuser.py" "$PREFIX/share/"

  # The environment every user runs: Debian's Python (a Python under root's home cannot be run by
  # other users), in a world-readable folder, with the kit installed as a normal package built
  # from a copy of the checkout that holds no course/ folder, so no key and no solutions. It serves
  # students and the grader alike, so it has the grader extra: a student's JupyterLab needs
  # JupyterLab and nbgrader's student tools (Assignment List, Validate, Submit), which come with it;
  # the instructor tools are turned off for students below. (Students without a hub install only
  # `pip install peninsula`, or use the course site.)
  say "building the environment in $PREFIX/env"
  /usr/bin/python3.11 -m venv "$PREFIX/env"
  local build
  build=$(mktemp -d)
  cp -r "$kit/pyproject.toml" "$kit/README.md" "$kit/src" "$build/"
  find "$build" \( -name '__pycache__' -o -name '*.egg-info' \) -prune -exec rm -rf {} +
  "$PREFIX/env/bin/pip" install -q --disable-pip-version-check "jupyterhub==$JUPYTERHUB_VERSION" "$build[grader]"
  rm -rf "$build"

  local proxy
  proxy=$(command -v configurable-http-proxy || true)
  if [ -z "$proxy" ] || [ "$("$proxy" --version)" != "$PROXY_VERSION" ]; then
    say "installing configurable-http-proxy $PROXY_VERSION into $PREFIX/proxy"
    npm install --silent --prefix "$PREFIX/proxy" "configurable-http-proxy@$PROXY_VERSION"
    proxy=$PREFIX/proxy/node_modules/.bin/configurable-http-proxy
  fi

  # Students' tools: the environment's own config turns the instructor extensions off (locked, so
  # JupyterLab's plugin manager cannot turn them on); the grader's user config below turns them on.
  local jupyter=$PREFIX/env/bin/jupyter
  for extension in formgrader create-assignment course-list; do
    "$jupyter" labextension disable --level=sys_prefix "@jupyter/nbgrader:$extension" >/dev/null 2>&1
    "$jupyter" labextension lock --level=sys_prefix "@jupyter/nbgrader:$extension" >/dev/null 2>&1
  done
  for extension in formgrader course_list; do
    "$jupyter" server extension disable --sys-prefix "nbgrader.server_extensions.$extension" >/dev/null 2>&1
  done

  # No pop-up asking students to fetch Jupyter's news from the internet.
  install -d -m 0755 "$PREFIX/env/share/jupyter/lab/settings"
  echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
    >"$PREFIX/env/share/jupyter/lab/settings/overrides.json"

  say "site-wide nbgrader config in $site_dir, exchange in $exchange"
  if [ ! -d "$site_dir" ]; then
    install -d -m 0755 "$site_dir"
    record dir "$site_dir"
  fi
  sed -e "s|@COURSE_ID@|$course_id|" -e "s|@EXCHANGE@|$exchange|" "$HERE/site_nbgrader_config.py" \
    >"$site_dir/nbgrader_config.py"
  chmod 0644 "$site_dir/nbgrader_config.py"
  record file "$site_dir/nbgrader_config.py"

  # The grader account owns the course. Its home and the course folder are closed to everyone
  # else (Debian's `useradd -m` makes homes world-readable): they hold the key and the gradebook.
  say "grader account $grader and its course folder"
  useradd -m -s /bin/bash -c "Peninsula grader ($course_id)" "$grader"
  record user "$grader"
  local home course_dir
  home=$(getent passwd "$grader" | cut -d: -f6)
  course_dir=$home/$course_id
  chmod 0700 "$home"
  install -d -m 0700 -o "$grader" -g "$grader" "$course_dir"
  cp -r "$kit/nbgrader_config.py" "$kit/course" "$kit/source_texts" "$course_dir/"
  chown -R "$grader:$grader" "$course_dir"
  install -d -m 0700 -o "$grader" -g "$grader" "$home/.jupyter" "$home/.jupyter/labconfig"
  install -m 0600 -o "$grader" -g "$grader" "$HERE/grader_jupyter_server_config.py" \
    "$home/.jupyter/jupyter_server_config.py"
  install -m 0600 -o "$grader" -g "$grader" "$HERE/grader_page_config.json" \
    "$home/.jupyter/labconfig/page_config.json"

  # nbgrader insists on an exchange root open to all (it chmods it to 777); the sticky bit stops
  # anyone removing or renaming another user's folder in it, and the course's folder exists and
  # belongs to the grader before any student could create it.
  if [ ! -d "$exchange" ]; then
    install -d -m 1777 "$exchange"
    record dir "$exchange"
  fi
  install -d -m 0755 -o "$grader" -g "$grader" "$exchange/$course_id"
  record tree "$exchange/$course_id"
  # Its inbound folder exists before any release, with the sticky bit (nbgrader would make it
  # without): a student can add a submission folder there but not remove or rename a classmate's.
  install -d -m 1733 -o "$grader" -g "$grader" "$exchange/$course_id/inbound"

  # Lessons and texts for students: read-only here, copied into each home on first login.
  local lessons=$PREFIX/lessons first_lesson
  install -d -m 0755 "$lessons"
  cp -r "$kit/notebooks" "$kit/source_texts" "$lessons/"
  find "$lessons" -name '.ipynb_checkpoints' -prune -exec rm -rf {} +
  chmod -R u=rwX,go=rX "$lessons"
  first_lesson=$(cd "$lessons" && find notebooks -name '[0-9][0-9]_*.ipynb' | sort | head -n 1)

  # The hub's state (its database, cookie secret and the proxy's token) is root's alone.
  local state=$PREFIX/hub
  install -d -m 0700 "$state" "$state/config.d"
  cp "$HERE/jupyterhub_config.py" "$state/"
  SETTINGS_FILE=$state/settings.json PREFIX=$PREFIX COURSE_ID=$course_id GRADER=$grader \
    INSTRUCTORS=$instructors COURSE_DIR=$course_dir LESSONS=$lessons FIRST_LESSON=$first_lesson \
    PROXY=$proxy IP=$ip PORT=$port HUB_API_PORT=$hub_api_port PROXY_API_PORT=$proxy_api_port \
    SERVICE_PORT=$service_port "$PREFIX/env/bin/python" - <<'EOF'
import json, os
e = os.environ
settings = {
    "env": f"{e['PREFIX']}/env", "start_singleuser": f"{e['PREFIX']}/share/start_singleuser.py",
    "course_id": e["COURSE_ID"], "grader": e["GRADER"], "instructors": e["INSTRUCTORS"].split(),
    "course_dir": e["COURSE_DIR"], "lessons": e["LESSONS"], "first_lesson": e["FIRST_LESSON"],
    "proxy": e["PROXY"], "ip": e["IP"], "port": int(e["PORT"]), "hub_api_port": int(e["HUB_API_PORT"]),
    "proxy_api_port": int(e["PROXY_API_PORT"]), "service_port": int(e["SERVICE_PORT"]),
}
with open(e["SETTINGS_FILE"], "w") as file:
    json.dump(settings, file, indent=2)
EOF

  if [ -d /run/systemd/system ]; then
    local unit=/etc/systemd/system/peninsula-hub-$course_id.service
    cat >"$unit" <<EOF
[Unit]
Description=JupyterHub for the Peninsula course $course_id
After=network.target

[Service]
Environment=PENINSULA_HUB_PREFIX=$PREFIX
ExecStart=/bin/bash $PREFIX/share/hub.sh run
Restart=on-failure

[Install]
WantedBy=multi-user.target
EOF
    record unit "$unit"
    systemctl daemon-reload
    systemctl enable --now "$(basename "$unit")"
    say "started $(basename "$unit"); the hub listens on http://$ip:$port"
  else
    say "no systemd here; start the hub with: PENINSULA_HUB_PREFIX=$PREFIX $0 run"
  fi
  say "done. Give instructors and students unix accounts and an authenticator (deploy/README.md)."
}

run() {
  [ -f "$PREFIX/hub/settings.json" ] || die "$PREFIX is not set up (run \`$0 up\` first)"
  cd "$PREFIX/hub"
  export PATH=$PREFIX/env/bin:/usr/local/bin:/usr/bin:/bin
  # A hub started from a non-interactive shell in the background inherits SIGINT ignored, and so
  # does every server it spawns; stopping them then waits out each spawner's timeout. Bash cannot
  # undo an inherited ignore, Python can.
  exec "$PREFIX/env/bin/python" -c \
    'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$PREFIX/env/bin/jupyterhub" -f "$PREFIX/hub/jupyterhub_config.py"
}

stop_pid_file() {  # SIGTERM the process in a pid file, wait for it, then SIGKILL it if it lingers
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
}

down() {
  [ -f "$MANIFEST" ] || die "$MANIFEST not found: nothing that \`up\` made is recorded there"
  local kind target
  while read -r kind target; do
    [ "$kind" = unit ] || continue
    systemctl disable --now "$(basename "$target")" || true
    rm -f "$target"
    systemctl daemon-reload
  done <"$MANIFEST"
  # SIGTERM stops the hub's services, the users' servers and the proxy with it.
  stop_pid_file "$PREFIX/hub/jupyterhub.pid"
  stop_pid_file "$PREFIX/hub/jupyterhub-proxy.pid"
  tac "$MANIFEST" | while read -r kind target; do
    case $kind in
      user)
        for pid in $(ps -o pid= -u "$target" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        userdel -r "$target" 2>/dev/null || userdel "$target"
        say "removed user $target" ;;
      file) rm -f -- "$target" && say "removed $target" ;;
      tree) rm -rf -- "$target" && say "removed $target" ;;
      dir) rmdir -- "$target" 2>/dev/null && say "removed $target" || say "kept $target: not empty" ;;
    esac
  done
  rm -rf -- "$PREFIX"
  say "removed $PREFIX"
}

[ "$(id -u)" -eq 0 ] || die "run this as root"
case ${1:-} in
  up) up ;;
  run) run ;;
  down) down ;;
  *) die "usage: $0 up|run|down (settings: PENINSULA_* environment variables, see deploy/README.md)" ;;
esac
