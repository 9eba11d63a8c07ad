# The outputs every cloud's redis module gives (docs/contracts.md, "Data-store modules"), then GCP's own.

output "host" {
  description = "Memorystore's private address; null when not created."
  value       = try(google_redis_instance.this[0].host, null)
}

output "port" {
  description = "Port clients connect to: Memorystore's TLS port (6378); null when not created."
  value       = try(google_redis_instance.this[0].port, null)
}

output "tls" {
  description = "Whether clients must connect over TLS (transit encryption SERVER_AUTHENTICATION): true whenever the instance exists."
  value       = var.create
}

output "credential" {
  description = "Password clients authenticate with: the AUTH string Memorystore generated (it cannot be chosen); null when not created."
  value       = try(google_redis_instance.this[0].auth_string, null)
  sensitive   = true
}

output "server_ca_certs" {
  description = "PEM CA certificates clients use to verify Memorystore's TLS certificate; empty when not created."
  value       = try([for c in google_redis_instance.this[0].server_ca_certs : c.cert], [])
}
