output "backend_service_id" {
  description = "ID of the backend service with Cloud CDN, for the load balancer's URL map; \"\" without one."
  value       = try(google_compute_backend_service.this[0].id, "")
}

output "domain" {
  description = "The name the cached files are served on (the LMS's); \"\" without a CDN."
  value       = var.create ? var.domain : ""
}
