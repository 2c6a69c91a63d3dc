# Stopping the nginx a test started (its pid in $nginx_pid): TERM, up to
# five seconds for it to go, then KILL; sourced by tests/nginx/*.sh.
nginx_pid=""
stop_nginx() {
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
        kill -TERM "$nginx_pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$nginx_pid" 2>/dev/null
    fi
    [ -n "$nginx_pid" ] && wait "$nginx_pid" 2>/dev/null
    nginx_pid=""
}
