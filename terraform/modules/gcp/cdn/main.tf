# Cloud CDN for the LMS's and Studio's /static/ and /media/: a backend service over the same app hosts as the load
# balancer's, with Cloud CDN on, which the load balancer's URL map routes those paths to. Cloud CDN is a feature of
# the global external load balancer: it serves on the load balancer's address, names and certificate.

locals {
  project = var.project_id == "" ? null : var.project_id
}

resource "google_compute_backend_service" "this" {
  count = var.create ? 1 : 0

  name                            = "${var.environment}-cdn"
  description                     = "Open edX ${var.environment}: /static/ and /media/ cached by Cloud CDN"
  project                         = local.project
  load_balancing_scheme           = "EXTERNAL_MANAGED"
  protocol                        = "HTTP"
  port_name                       = "http"
  timeout_sec                     = 30
  connection_draining_timeout_sec = 30
  health_checks                   = [var.health_check_id]
  enable_cdn                      = true
  compression_mode                = "AUTOMATIC"
  # Fonts and scripts loaded by pages of another origin (Studio's pages, the MFEs: openedx-platform#38648).
  custom_response_headers = ["Access-Control-Allow-Origin: *", "X-Cache-Status: {cdn_cache_status}"]

  dynamic "backend" {
    for_each = var.backend_groups
    content {
      group           = backend.value
      balancing_mode  = "UTILIZATION"
      capacity_scaler = 1.0
    }
  }

  cdn_policy {
    # A response's own Cache-Control/Expires wins (nginx sends Expires on both paths; private or no-store is never
    # cached); static content types without one are cached for default_ttl.
    cache_mode  = "CACHE_ALL_STATIC"
    default_ttl = var.default_ttl
    # The files are the same on the LMS's and Studio's names: one cache entry for both, keyed on the path and the
    # query string (a changed profile image keeps its name and gets a new ?v=).
    cache_key_policy {
      include_host         = false
      include_protocol     = false
      include_query_string = true
    }
    negative_caching = true
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}
