locals {
  project  = var.project_id == "" ? null : var.project_id
  provided = var.tls_mode == "provided"
  # Known at plan time (the backend service's id is not): the stack gives hosts only with a CDN.
  cdn = length(var.cdn_hosts) > 0

  # Ranges of Google's health checkers and of the global external load balancer's proxies.
  google_frontend_ranges = ["130.211.0.0/22", "35.191.0.0/16"]

  certificate = local.provided ? google_compute_ssl_certificate.provided[0].id : google_compute_managed_ssl_certificate.this[0].id
}

resource "google_compute_global_address" "this" {
  name         = "${var.environment}-lb"
  project      = local.project
  address_type = "EXTERNAL"
  ip_version   = "IPV4"
  labels       = var.labels
}

resource "google_compute_health_check" "this" {
  name                = "${var.environment}-app-heartbeat"
  project             = local.project
  check_interval_sec  = 10
  timeout_sec         = 5
  healthy_threshold   = 2
  unhealthy_threshold = 3

  http_health_check {
    port         = var.backend_port
    host         = var.health_check_host
    request_path = var.health_check_path
  }

  log_config {
    enable = true
  }
}

resource "google_compute_firewall" "google_frontends" {
  name          = "${var.environment}-app-from-lb"
  project       = local.project
  network       = var.network_id
  direction     = "INGRESS"
  source_ranges = local.google_frontend_ranges
  target_tags   = [var.backend_tag]

  allow {
    protocol = "tcp"
    ports    = [tostring(var.backend_port)]
  }

  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Plain HTTP between the proxies and the backends stays inside Google's network, where Google encrypts it in transit.
resource "google_compute_backend_service" "this" {
  name                            = "${var.environment}-app"
  project                         = local.project
  load_balancing_scheme           = "EXTERNAL_MANAGED"
  protocol                        = "HTTP"
  port_name                       = "http"
  timeout_sec                     = var.backend_timeout_sec
  connection_draining_timeout_sec = 30
  health_checks                   = [google_compute_health_check.this.id]
  security_policy                 = var.security_policy == "" ? null : var.security_policy

  dynamic "backend" {
    for_each = var.backend_groups
    content {
      group           = backend.value
      balancing_mode  = "UTILIZATION"
      capacity_scaler = 1.0
    }
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "this" {
  name            = "${var.environment}-https"
  project         = local.project
  default_service = google_compute_backend_service.this.id

  # With a CDN (modules/gcp/cdn), the static files and media of the LMS and Studio go to its backend service, which
  # Cloud CDN caches at Google's edge; everything else to the app hosts uncached.
  dynamic "host_rule" {
    for_each = local.cdn ? [1] : []
    content {
      hosts        = var.cdn_hosts
      path_matcher = "assets"
    }
  }

  dynamic "path_matcher" {
    for_each = local.cdn ? [1] : []
    content {
      name            = "assets"
      default_service = google_compute_backend_service.this.id

      path_rule {
        paths   = var.cdn_paths
        service = var.cdn_backend_service_id
      }
    }
  }
}

resource "google_compute_url_map" "redirect" {
  name    = "${var.environment}-http-redirect"
  project = local.project

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_managed_ssl_certificate" "this" {
  count = local.provided ? 0 : 1

  # Managed certificates cannot change their domains in place: a new name per domain set, created first.
  name    = "${var.environment}-cert-${substr(md5(join(",", var.domains)), 0, 8)}"
  project = local.project

  managed {
    domains = var.domains
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_certificate" "provided" {
  count = local.provided ? 1 : 0

  name_prefix = "${var.environment}-cert-"
  project     = local.project
  certificate = file(var.certificate_file)
  private_key = file(var.private_key_file)

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_policy" "this" {
  name            = "${var.environment}-tls"
  project         = local.project
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "this" {
  name             = "${var.environment}-https"
  project          = local.project
  url_map          = google_compute_url_map.this.id
  ssl_certificates = [local.certificate]
  ssl_policy       = google_compute_ssl_policy.this.id
}

resource "google_compute_target_http_proxy" "redirect" {
  name    = "${var.environment}-http-redirect"
  project = local.project
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "${var.environment}-https"
  project               = local.project
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.this.id
  ip_protocol           = "TCP"
  port_range            = "443"
  target                = google_compute_target_https_proxy.this.id
  labels                = var.labels
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "${var.environment}-http"
  project               = local.project
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_address            = google_compute_global_address.this.id
  ip_protocol           = "TCP"
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
  labels                = var.labels
}
