# The outputs every cloud's redis module gives (docs/contracts.md, "Data-store modules"), then Azure's own.

output "host" {
  description = "Host name of the cache (inside the linked VNet it resolves to the private endpoint); null when not created."
  value       = try(azurerm_redis_cache.this[0].hostname, null)
}

output "port" {
  description = "Port clients connect to: the TLS port (the plain port is disabled); null when not created."
  value       = try(azurerm_redis_cache.this[0].ssl_port, null)
}

output "tls" {
  description = "Whether clients must connect over TLS: true whenever the cache exists."
  value       = var.create
}

output "credential" {
  description = "Password clients authenticate with: the primary access key (Azure generates it; it cannot be set); null when not created."
  value       = try(azurerm_redis_cache.this[0].primary_access_key, null)
  sensitive   = true
}

output "id" {
  description = "ID of the cache; null when not created."
  value       = try(azurerm_redis_cache.this[0].id, null)
}

output "private_address" {
  description = "Private address of the cache's endpoint in the data subnet; null when not created."
  value       = try(azurerm_private_endpoint.this[0].private_service_connection[0].private_ip_address, null)
}
