# Shared by the peer scripts (sourced): the receiver's and the daemon's configuration.

# nginx answering 204 on 127.0.0.1:PORT, logging `$msec $uri $http_webhook_id $http_svix_id`.
nginx_config() { # file prefix-dir log-dir port
    cat > "$1" <<CONF
worker_processes 1;
daemon off;
pid $2/nginx.pid;
error_log $3/nginx-error.log warn;
events { worker_connections 4096; }
http {
    log_format peer '\$msec \$uri \$http_webhook_id \$http_svix_id';
    access_log $3/access.log peer;
    server {
        listen 127.0.0.1:$4 reuseport backlog=4096;
        keepalive_requests 1000000;
        location / { return 204; }
    }
}
CONF
}

# The daemon with a SQLite store and one subscription (`bench.**`) to a `noop` target.
noop_config() { # file listen store-path
    cat > "$1" <<CONF
[server]
listen = "$2"

[store]
path = "$3"

[[subscriptions]]
path = "bench.**"
dispatch = [{ adapter = "noop" }]
CONF
}

# The daemon with a SQLite store and one webhook subscription (`bench.**`, default lane
# settings) to RECEIVER. TARGET_OPTIONS adds keys to the target, e.g.
# TARGET_OPTIONS=", max_in_flight = 64".
jido_config() { # file listen store-path receiver-url
    cat > "$1" <<CONF
[server]
listen = "$2"

[store]
path = "$3"

[egress]
allow_private = ["127.0.0.0/8"]

[[subscriptions]]
path = "bench.**"
dispatch = [{ adapter = "webhook", url = "$4", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"${TARGET_OPTIONS:-} }]
CONF
}
