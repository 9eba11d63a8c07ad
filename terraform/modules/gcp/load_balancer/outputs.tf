output "address" {
  description = "Public IPv4 address to point the domains' DNS A records at."
  value       = google_compute_global_address.this.address
}

output "dns_name" {
  description = "Always \"\": Google's load balancers have an address but no DNS name of their own."
  value       = ""
}

output "backend_service_id" {
  description = "ID of the backend service over the app hosts."
  value       = google_compute_backend_service.this.id
}

output "certificate_id" {
  description = "ID of the certificate the HTTPS proxy serves."
  value       = local.certificate
}

output "health_check_id" {
  description = "ID of the app hosts' health check (GET /heartbeat), which the CDN's backend service uses too."
  value       = google_compute_health_check.this.id
}
