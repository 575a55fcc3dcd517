#!/usr/bin/env bash
# Install packline station on a Debian-family line terminal (Debian 12, Raspberry Pi OS,
# BeagleBone Debian): a service user, a virtual environment, the configuration, the udev rule and
# the systemd unit that keeps `station run` full-screen on tty1. With --dashboard, it installs
# the read-only dashboard instead: a web service on a supervisor's computer, pointed at the
# line's database. See deploy/README.md.
#
# Re-running it is the way to update: the package is reinstalled only when its source changed,
# an edited station.toml, keys.toml, station.env or dashboard.env is never overwritten, and
# nothing else changes.
set -euo pipefail
umask 022

readonly APP_DIR=/opt/packline-station
readonly VENV_DIR=$APP_DIR/venv
readonly ETC_DIR=/etc/station
readonly DATA_DIR=/var/lib/station
readonly LABEL_DIR=$DATA_DIR/labels
readonly LOG_DIR=$DATA_DIR/logs
readonly PREVIEW_DIR=$DATA_DIR/label-previews
readonly TERMINAL_UNIT=station-terminal.service
readonly DASHBOARD_UNIT=station-dashboard.service
readonly UDEV_RULE=/etc/udev/rules.d/99-station-i2c.rules
readonly MODULES_CONF=/etc/modules-load.d/station-i2c.conf
readonly SYSCTL_CONF=/etc/sysctl.d/60-station-console.conf
readonly JOURNALD_CONF=/etc/systemd/journald.conf.d/60-station.conf
readonly WRAPPER=/usr/local/bin/station
readonly INSTALL_LOG=$DATA_DIR/install.log

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly script_dir

usage() {
    cat <<'EOF'
Usage: deploy/install.sh [options]

Installs packline station on this line terminal (needs root), or with --prefix into a folder.
With --dashboard, installs the read-only dashboard on a supervisor's computer instead.

  --prefix DIR      install into DIR as if it were / (no root needed): files only; the useradd,
                    chown, systemctl and udevadm commands a real install runs are printed and
                    recorded in DIR/var/lib/station/install.log instead of being run
  --user NAME       service user (default: station)
  --source DIR      install the package from this source tree (default: the repository that
                    holds this script)
  --wheel FILE      install the package from a built wheel instead
  --python PATH     Python (>= 3.11) that builds the virtual environment (default: python3)
  --dashboard       install the dashboard (station dashboard, a web service) instead of the
                    operator terminal: no terminal, no I2C rules, no key store
  --database URL    with --dashboard: the line's database, written into a new station.toml,
                    e.g. postgresql+psycopg://dashboard@db.plant.local/traceability (never
                    with a password: that goes into ~/.pgpass or dashboard.env)
  --with-postgres   also install the PostgreSQL driver (database = "postgresql+psycopg://...")
  --no-deps         install the package alone, without its dependencies (tests, packagers that
                    provide them); the terminal cannot run until they are installed
  --no-start        enable the service but do not (re)start it now
  -h, --help        show this help
EOF
}

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
    printf 'install.sh: error: %s\n' "$*" >&2
    exit 1
}

prefix=""
prefix_given=0
user=station
source_dir=""
wheel=""
python=python3
with_postgres=0
no_deps=0
no_start=0
role=terminal
database=""

need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --prefix) need_value "$@"; prefix=$2; prefix_given=1; shift 2 ;;
        --prefix=*) prefix=${1#*=}; prefix_given=1; shift ;;
        --user) need_value "$@"; user=$2; shift 2 ;;
        --user=*) user=${1#*=}; shift ;;
        --source) need_value "$@"; source_dir=$2; shift 2 ;;
        --source=*) source_dir=${1#*=}; shift ;;
        --wheel) need_value "$@"; wheel=$2; shift 2 ;;
        --wheel=*) wheel=${1#*=}; shift ;;
        --python) need_value "$@"; python=$2; shift 2 ;;
        --python=*) python=${1#*=}; shift ;;
        --with-postgres) with_postgres=1; shift ;;
        --dashboard) role=dashboard; shift ;;
        --database) need_value "$@"; database=$2; shift 2 ;;
        --database=*) database=${1#*=}; shift ;;
        --no-deps) no_deps=1; shift ;;
        --no-start) no_start=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done

# ---------------------------------------------------------------------------- checks

if [[ $prefix_given -eq 1 ]]; then
    [[ -n $prefix ]] || die "--prefix needs a folder"
    prefix=$(realpath -m -- "$prefix")
    [[ $prefix != / ]] || die "--prefix / is the real install: run without --prefix, as root"
elif [[ $(id -u) -ne 0 ]]; then
    die "the real install needs root: run it with sudo, or use --prefix DIR to install into a folder"
fi
readonly prefix

[[ $user =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] ||
    die "--user '$user' is not a valid user name (lower-case letters, digits, '_' or '-')"

[[ -z $source_dir || -z $wheel ]] || die "give either --source or --wheel, not both"

if [[ -n $database ]]; then
    [[ $role == dashboard ]] ||
        die "--database is for --dashboard; a terminal's database is set in station.toml"
    [[ $database =~ ^[a-z][a-z0-9+]*://[^[:space:]\"\\]+$ ]] ||
        die "--database '$database' is not a database URL; e.g." \
            "postgresql+psycopg://dashboard@db.plant.local/traceability"
    [[ ! $database =~ ^[a-z0-9+]+://[^/@]*:[^/@]*@ ]] ||
        die "--database carries a password: give the URL without it, and put the password in" \
            "$DATA_DIR/.pgpass or as PGPASSWORD in $ETC_DIR/dashboard.env"
    [[ $database != postgresql* ]] || with_postgres=1
fi
# A configuration that already names a PostgreSQL keeps its driver on an update.
if [[ $with_postgres -eq 0 ]] &&
    grep -qE '^(database|url) = "postgresql' "$prefix$ETC_DIR/station.toml" 2>/dev/null; then
    with_postgres=1
    note "the configuration names a PostgreSQL: its driver is kept (as with --with-postgres)"
fi
if [[ $role == dashboard ]]; then
    readonly UNIT=$DASHBOARD_UNIT
    readonly SERVICE_GROUPS=""
else
    readonly UNIT=$TERMINAL_UNIT
    # i2c: /dev/i2c-* (the udev rule below); dialout: USB serial devices such as scanners.
    readonly SERVICE_GROUPS=i2c,dialout
fi
readonly UNIT_PATH=/etc/systemd/system/$UNIT
if [[ -n $wheel ]]; then
    [[ -f $wheel && $wheel == *.whl ]] || die "--wheel $wheel is not a wheel file (*.whl)"
    wheel=$(realpath -- "$wheel")
else
    [[ -n $source_dir ]] || source_dir=$(dirname -- "$script_dir")
    [[ -d $source_dir ]] || die "--source $source_dir is not a folder"
    source_dir=$(realpath -- "$source_dir")
    grep -q '^name = "packline-station"' "$source_dir/pyproject.toml" 2>/dev/null ||
        die "$source_dir is not the packline station source tree (no pyproject.toml naming" \
            "packline-station); give --source DIR or --wheel FILE"
fi

for asset in station-terminal.service station-dashboard.service station.toml.example \
    99-station-i2c.rules station-i2c.conf 60-station-console.conf 60-station-journal.conf \
    README.md; do
    [[ -f $script_dir/$asset ]] || die "$script_dir/$asset is missing: run install.sh from a" \
        "complete deploy/ folder"
done

python_path=$(command -v -- "$python") || die "no Python at '$python': install python3 (>= 3.11)"
"$python_path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    die "$python_path is Python $("$python_path" -c 'import sys; print(sys.version.split()[0])');" \
        "packline station needs 3.11 or newer (Debian 12 / Raspberry Pi OS bookworm have it)"
python_version=$("$python_path" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ---------------------------------------------------------------------------- helpers

# Where a target path lives during this run: under the prefix, or the path itself.
t() { printf '%s%s' "$prefix" "$1"; }

planned=()

# Run a command that changes the system itself (users, ownership, services, kernel), or, with
# --prefix, print and record it for install.log.
system() {
    if [[ -n $prefix ]]; then
        local line="" arg
        for arg in "$@"; do
            [[ $arg =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]] || arg="'${arg//\'/\'\\\'\'}'"
            line+="${line:+ }$arg"
        done
        planned+=("$line")
        note "would run: $line"
    else
        "$@"
    fi
}

# Install SRC as DEST with MODE, replacing it only when the content differs.
put_file() {
    local src=$1 dest=$2 mode=$3
    if [[ -f $dest && ! -L $dest ]] && cmp -s -- "$src" "$dest"; then
        chmod "$mode" -- "$dest"
        return
    fi
    install -D -m "$mode" -- "$src" "$dest"
    note "wrote $dest"
}

# Create DEST from SRC with MODE only when it does not exist: never overwrite what was edited.
put_once() {
    local src=$1 dest=$2 mode=$3
    if [[ -e $dest ]]; then
        note "kept $dest (already there)"
        return
    fi
    install -D -m "$mode" -- "$src" "$dest"
    note "created $dest"
}

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# Hash of what decides the installed package: its source files (or wheel) and the options.
package_fingerprint() {
    local what
    if [[ -n $wheel ]]; then
        what="wheel $(sha256sum <"$wheel" | cut -d' ' -f1)"
    else
        local entries=() entry
        for entry in pyproject.toml README.md LICENSE station db recipes; do
            [[ -e $source_dir/$entry ]] && entries+=("$entry")
        done
        what="source $(cd -- "$source_dir" &&
            find "${entries[@]}" -type f ! -name '*.py[co]' ! -path '*/__pycache__/*' -print0 |
            LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1)"
    fi
    printf '%s python=%s postgres=%s deps=%s\n' "$what" "$python_version" "$with_postgres" \
        "$((1 - no_deps))"
}

# ---------------------------------------------------------------------------- 1. user

what="packline station"
[[ $role == terminal ]] || what="the packline station dashboard"
if [[ -n $prefix ]]; then
    say "Installing $what into $prefix (as if it were /; no root needed)"
else
    say "Installing $what on $(hostname)"
fi

useradd_args=(--system --user-group --home-dir "$DATA_DIR" --no-create-home
    --shell /usr/sbin/nologin --comment "packline station")
[[ -z $SERVICE_GROUPS ]] || useradd_args+=(--groups "$SERVICE_GROUPS")
say "Service user '$user'${SERVICE_GROUPS:+ (groups $SERVICE_GROUPS)}"
if [[ -n $prefix ]]; then
    [[ $role == dashboard ]] || system groupadd --system i2c
    system useradd "${useradd_args[@]}" "$user"
else
    if [[ $role == terminal ]] && ! getent group i2c >/dev/null; then
        groupadd --system i2c
        note "created group i2c"
    fi
    if ! id -u "$user" >/dev/null 2>&1; then
        useradd "${useradd_args[@]}" "$user"
        note "created system user $user"
    elif [[ -n $SERVICE_GROUPS ]]; then
        IFS=, read -r -a wanted <<<"$SERVICE_GROUPS"
        member_of=" $(id -nG "$user") "
        for group in "${wanted[@]}"; do
            if [[ $member_of != *" $group "* ]]; then
                usermod --append --groups "$group" "$user"
                note "added $user to group $group"
            fi
        done
    fi
fi

# ---------------------------------------------------------------------------- 2. venv + package

venv=$(t "$VENV_DIR")
say "Virtual environment $VENV_DIR (Python $python_version)"

venv_matches() {
    [[ -x $venv/bin/python ]] &&
        [[ $("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) \
            == "$python_version" ]]
}

if ! venv_matches; then
    rm -rf -- "$venv"
    mkdir -p -- "$(dirname -- "$venv")"
    if ! "$python_path" -m venv "$venv" >"$work/venv.log" 2>&1; then
        rm -rf -- "$venv"
        if [[ -z $prefix ]] && command -v apt-get >/dev/null; then
            note "python3-venv is missing: installing it"
            apt-get install -y python3-venv >/dev/null ||
                { apt-get update >/dev/null && apt-get install -y python3-venv >/dev/null; } ||
                die "could not install python3-venv: run apt-get install python3-venv"
            "$python_path" -m venv "$venv" || die "could not create the virtual environment $venv"
        else
            cat "$work/venv.log" >&2
            die "could not create the virtual environment $venv: on Debian install python3-venv"
        fi
    fi
    note "created $venv"
fi

stamp=$venv/.packline-station-install
wanted_fingerprint=$(package_fingerprint)
installed() {
    "$venv/bin/python" -c 'import importlib.metadata as m; m.version("packline-station")' \
        >/dev/null 2>&1
}
if [[ -f $stamp && $(<"$stamp") == "$wanted_fingerprint" ]] && installed; then
    note "packline-station is up to date"
else
    target=${wheel:-$source_dir}
    [[ $with_postgres -eq 0 ]] || target+="[postgres]"
    pip_args=(--disable-pip-version-check --no-input --quiet)
    [[ $no_deps -eq 0 ]] || pip_args+=(--no-deps)
    if [[ $no_deps -eq 0 ]]; then
        note "installing packline-station and its dependencies from ${wheel:-$source_dir}"
        note "(downloads from the package index: a few minutes on a small board)"
    else
        note "installing packline-station alone (--no-deps) from ${wheel:-$source_dir}"
    fi
    # Uninstall first: pip keeps an installed wheel of the same version otherwise.
    if installed; then
        "$venv/bin/python" -m pip uninstall --disable-pip-version-check --yes --quiet \
            packline-station
    fi
    "$venv/bin/python" -m pip install "${pip_args[@]}" "$target" ||
        die "pip could not install packline-station (see above); fix it and run install.sh again"
    if [[ -n $prefix ]]; then
        # The scripts name their interpreter by absolute path: point them at the target's path.
        "$venv/bin/python" - "$venv" "$VENV_DIR" <<'PY'
import pathlib
import sys

old, new = (s.encode() for s in sys.argv[1:3])
root = pathlib.Path(sys.argv[1])
for path in [*sorted((root / "bin").iterdir()), root / "pyvenv.cfg"]:
    if path.is_file() and not path.is_symlink():
        data = path.read_bytes()
        if old in data:
            path.write_bytes(data.replace(old, new))
PY
    fi
    printf '%s\n' "$wanted_fingerprint" >"$stamp"
    note "installed packline-station into $VENV_DIR"
fi

# ---------------------------------------------------------------------------- 3. files

say "Configuration $ETC_DIR, data $DATA_DIR"
install -d -m 0755 -- "$(t "$ETC_DIR")" "$(t "$APP_DIR")"
install -d -m 0750 -- "$(t "$DATA_DIR")" "$(t "$LOG_DIR")"
if [[ $role == terminal ]]; then
    install -d -m 0755 -- "$(t "$ETC_DIR/recipes")"
    install -d -m 0750 -- "$(t "$LABEL_DIR")" "$(t "$PREVIEW_DIR")"
fi

put_file "$script_dir/station.toml.example" "$(t "$APP_DIR/station.toml.example")" 0644
put_file "$script_dir/README.md" "$(t "$APP_DIR/README.md")" 0644
config_source=$script_dir/station.toml.example
if [[ -n $database ]]; then
    # The example's active database line ([database] url) names the given database instead.
    awk -v url="$database" \
        '!done && /^url = / { print "url = \"" url "\""; done = 1; next } 1' \
        "$script_dir/station.toml.example" >"$work/station.toml"
    config_source=$work/station.toml
    if [[ -e $(t "$ETC_DIR/station.toml") ]]; then
        warn "$ETC_DIR/station.toml is kept as it is: set url = \"$database\" under [database] in it" \
            "by hand"
    fi
fi
put_once "$config_source" "$(t "$ETC_DIR/station.toml")" 0644
if [[ -f $(t "$ETC_DIR/station.toml") ]] &&
    ! cmp -s "$config_source" "$(t "$ETC_DIR/station.toml")"; then
    note "compare it with $APP_DIR/station.toml.example for settings added since"
fi
# A line terminal records real packs only: its database refuses emulated runs (the example sets
# it; an older station.toml kept above may not).
if [[ $role == terminal ]] && ! grep -Eq '^[[:space:]]*production[[:space:]]*=[[:space:]]*true' "$(t "$ETC_DIR/station.toml")"; then
    warn "$ETC_DIR/station.toml does not declare a production database: add 'production = true'" \
        "under [database] (see $APP_DIR/station.toml.example), or emulated runs can be recorded" \
        "beside real packs"
fi

if [[ $role == dashboard ]]; then
    token=$("$python_path" -c 'import secrets; print(secrets.token_urlsafe(24))')
    {
        printf '%s\n' \
            "# Environment of the dashboard service (EnvironmentFile= in $DASHBOARD_UNIT)." \
            "# systemd reads it as root before starting the dashboard: keep it root-only, mode 600." \
            "#" \
            "# The token browsers must give once the dashboard listens beyond this computer" \
            "# (dashboard_listen in station.toml): HTTP basic authentication with dashboard_user" \
            "# as the user and this token as the password. Made at install; change it to lock" \
            "# every browser out." \
            "STATION_DASHBOARD_TOKEN=$token" \
            "# The database password, unless the station user's ~/.pgpass holds it:" \
            "# PGPASSWORD=..."
    } >"$work/dashboard.env"
    put_once "$work/dashboard.env" "$(t "$ETC_DIR/dashboard.env")" 0600
    chmod 0600 -- "$(t "$ETC_DIR/dashboard.env")"
fi

if [[ $role == terminal ]]; then
    cat >"$work/keys.toml" <<'EOF'
# packline station key store: the unseal and full-access keys of your packs' key sets.
# Owner: the station user, mode 600: the station refuses a key store anyone else can read.
# One table per key set; a recipe names the key set its packs use. For example:
#
# [key_sets.acme-prod-2026]
# unseal = ["0x1234", "0x5678"]    # first word, second word, in the order they are sent
# full_access = "0x9ABCDEF0"       # or one 32-bit value as bqStudio shows it (first word low)
#
# TI's factory keys are built in as "ti-default" and need no entry.
EOF
    put_once "$work/keys.toml" "$(t "$ETC_DIR/keys.toml")" 0600
    chmod 0600 -- "$(t "$ETC_DIR/keys.toml")"

    cat >"$work/station.env" <<'EOF'
# Environment of the station terminal service (EnvironmentFile= in station-terminal.service).
# systemd reads it as root before starting `station run`: keep it root-only, mode 600.
# Secrets go here, never in station.toml. For a shared PostgreSQL, for example:
# PGPASSWORD=...
EOF
    put_once "$work/station.env" "$(t "$ETC_DIR/station.env")" 0600
    chmod 0600 -- "$(t "$ETC_DIR/station.env")"

    say "Terminal service $UNIT, udev rule, i2c-dev module, console log level, journal, $WRAPPER"
else
    say "Dashboard service $UNIT, journal, $WRAPPER"
fi
sed "s/^User=station\$/User=$user/" "$script_dir/$UNIT" >"$work/unit"
put_file "$work/unit" "$(t "$UNIT_PATH")" 0644
put_file "$script_dir/60-station-journal.conf" "$(t "$JOURNALD_CONF")" 0644
if [[ $role == terminal ]]; then
    put_file "$script_dir/99-station-i2c.rules" "$(t "$UDEV_RULE")" 0644
    put_file "$script_dir/station-i2c.conf" "$(t "$MODULES_CONF")" 0644
    put_file "$script_dir/60-station-console.conf" "$(t "$SYSCTL_CONF")" 0644
fi

cat >"$work/wrapper" <<EOF
#!/bin/sh
# packline station command (installed by deploy/install.sh): uses this computer's configuration
# unless STATION_CONFIG names another one.
: "\${STATION_CONFIG:=$ETC_DIR/station.toml}"
export STATION_CONFIG
exec $VENV_DIR/bin/station "\$@"
EOF
put_file "$work/wrapper" "$(t "$WRAPPER")" 0755

# ---------------------------------------------------------------------------- 4. system

say "Ownership, udev, systemd"
# A failure of what only takes effect now (module, udev, sysctl) is reported, not fatal: a reboot
# applies the installed files anyway. Without a running systemd (a chroot building an image),
# only the offline steps run.
soft() { system "$@" || warn "'$*' failed; the change takes effect at the next boot"; }
systemd_running=0
[[ -n $prefix || -d /run/systemd/system ]] && systemd_running=1

if [[ $role == terminal ]]; then
    system chown "$user:" "$DATA_DIR" "$LABEL_DIR" "$LOG_DIR" "$PREVIEW_DIR" "$ETC_DIR/keys.toml"
    soft modprobe i2c-dev
    if [[ $systemd_running -eq 1 ]]; then
        soft udevadm control --reload
        soft udevadm trigger --subsystem-match=i2c-dev --action=add
    fi
    soft sysctl --quiet --load="$SYSCTL_CONF"
else
    system chown "$user:" "$DATA_DIR" "$LOG_DIR"
fi
# The journal keeps the station's records across reboots, within the bounds of JOURNALD_CONF.
[[ $systemd_running -eq 0 ]] || soft systemctl restart systemd-journald.service
[[ $systemd_running -eq 0 ]] || system systemctl daemon-reload
# A login prompt on tty1 would fight the terminal for the console.
[[ $role == dashboard ]] || system systemctl mask getty@tty1.service
system systemctl enable "$UNIT"

started=0
if [[ $no_start -eq 1 ]]; then
    note "not started (--no-start): it starts at the next boot, or with systemctl start ${UNIT%.service}"
elif [[ $systemd_running -eq 0 ]]; then
    note "systemd is not running here: the service starts at the next boot"
elif [[ $role == terminal && -z $prefix && $(tty 2>/dev/null || true) == /dev/tty1 ]]; then
    warn "you are logged in on tty1, which the terminal takes over: not started now." \
        "Reboot, or run 'systemctl start ${UNIT%.service}' from another console or over SSH"
else
    system systemctl restart "$UNIT"
    started=1
fi

if [[ -n $prefix ]]; then
    {
        printf '# packline station install.sh --prefix: commands a real install also runs, as root,\n'
        printf '# in this order. The files under the prefix were written; these were not run.\n'
        printf '%s\n' "${planned[@]}"
    } >"$work/install.log"
    put_file "$work/install.log" "$(t "$INSTALL_LOG")" 0644
fi

if ! command -v i2cdetect >/dev/null && [[ -z $prefix ]]; then
    warn "i2cdetect is not installed; the checks in deploy/README.md use it: apt-get install i2c-tools"
fi

say "Done."
if [[ $role == dashboard ]]; then
    cat <<EOF

Next steps (deploy/README.md, "The dashboard on a supervisor's computer", explains each one):
  1. in $ETC_DIR/station.toml: database (the line's PostgreSQL, with a read-only role) and, to
     open the dashboard from other computers, dashboard_listen = "0.0.0.0:8080"
  2. the database password in $DATA_DIR/.pgpass (owner $user, mode 600)
  3. check:  sudo -u $user station db current
  4. browsers log in as dashboard_user (station.toml) with the token in $ETC_DIR/dashboard.env
EOF
    if [[ $started -eq 1 ]]; then
        printf '  5. it runs; logs: journalctl -u %s\n' "${UNIT%.service}"
    else
        printf '  5. start:  systemctl start %s   (logs: journalctl -u %s)\n' "${UNIT%.service}" \
            "${UNIT%.service}"
    fi
    exit 0
fi
cat <<EOF

Next steps (deploy/README.md explains each one):
  1. edit $ETC_DIR/station.toml (station_id, bus, database, keys)
  2. put your key sets in $ETC_DIR/keys.toml (owner $user, mode 600)
  3. check:  sudo -u $user station config check
             sudo -u $user station gauge info --bus /dev/i2c-1
EOF
if [[ $started -eq 1 ]]; then
    printf '  4. the terminal runs on tty1; logs: sudo station logs --since today\n'
else
    printf '  4. start:  systemctl start %s   (logs: sudo station logs --since today)\n' \
        "${UNIT%.service}"
fi
