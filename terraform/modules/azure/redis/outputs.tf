output "host" {
  description = "Host name of the cache; inside the linked VNet it resolves to the private endpoint."
  value       = azurerm_redis_cache.this.hostname
}

output "port" {
  description = "TLS port of the cache (the plain port is disabled)."
  value       = azurerm_redis_cache.this.ssl_port
}

output "tls" {
  description = "Whether clients must use TLS (always true)."
  value       = true
}

output "id" {
  description = "ID of the cache."
  value       = azurerm_redis_cache.this.id
}

output "primary_access_key" {
  description = "Password clients authenticate with (Azure generates it; it cannot be set)."
  value       = azurerm_redis_cache.this.primary_access_key
  sensitive   = true
}

output "private_address" {
  description = "Private address of the cache's endpoint in the data subnet."
  value       = azurerm_private_endpoint.this.private_service_connection[0].private_ip_address
}
