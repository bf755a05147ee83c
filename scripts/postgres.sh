# Sourced by scripts/test.sh: make sure the PostgreSQL server the suite runs on is answering.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"  # as_root, apt_install

pg_answering() {
  local host="$1" port="$2"
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$host" -p "$port" -t 2
  else
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
  fi
}

# "VERSION NAME" of the local cluster configured for a port (Debian's postgresql-common).
pg_cluster_on_port() {
  command -v pg_lsclusters >/dev/null || return 0
  pg_lsclusters --no-header 2>/dev/null | awk -v port="$1" '$3 == port { print $1, $2; exit }'
}

# ensure_postgres URL: the server of URL answers. A local cluster on that port is started if it is
# down; with no PostgreSQL installed at all, Debian's is installed and started.
ensure_postgres() {
  local rest host port
  rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  host="${rest%%:*}"; port="${rest##*:}"; [ "$port" = "$rest" ] && port=5432
  pg_answering "$host" "$port" && return 0
  case "$host" in
    127.0.0.1|localhost|::1) ;;
    *) echo "test: PostgreSQL at $host:$port is not answering" >&2; return 1 ;;
  esac
  local cluster
  cluster="$(pg_cluster_on_port "$port")"
  if [ -z "$cluster" ] && ! ls /etc/postgresql/*/*/postgresql.conf >/dev/null 2>&1; then
    apt_install postgresql
    cluster="$(pg_cluster_on_port "$port")"
    [ -n "$cluster" ] && trust_loopback $cluster
  fi
  if [ -z "$cluster" ]; then
    echo "test: nothing answers on $host:$port and no local PostgreSQL cluster uses that port" >&2
    return 1
  fi
  echo "test: starting PostgreSQL cluster $cluster" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect $cluster start >&2 || true
  for _ in $(seq 1 30); do
    pg_answering "$host" "$port" && return 0
    sleep 1
  done
  echo "test: PostgreSQL at $host:$port is still not answering after 30 s" >&2
  return 1
}

# On a cluster this script just installed: the suite connects as postgres over loopback without a
# password, as on the machines CI runs on.
trust_loopback() {
  local version="$1" name="$2"
  as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' \
    "/etc/postgresql/$version/$name/pg_hba.conf"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload >/dev/null 2>&1 || true
}
