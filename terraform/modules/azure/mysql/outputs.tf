# The outputs every cloud's mysql module gives (docs/contracts.md, "Data-store modules"), then Azure's own.

output "host" {
  description = "Private host name of the server (resolves through the linked private DNS zone); null when not created."
  value       = try(azurerm_mysql_flexible_server.this[0].fqdn, null)
}

output "port" {
  description = "Port clients connect to; null when not created."
  value       = var.create ? 3306 : null
}

output "tls" {
  description = "Whether clients must connect over TLS (require_secure_transport ON): true whenever the server exists."
  value       = var.create
}

output "admin_user" {
  description = "Name of the server administrator (its password is the one passed in; nothing is stored by this module); null when not created."
  value       = try(azurerm_mysql_flexible_server.this[0].administrator_login, null)
}

output "replica_host" {
  description = "Host name of the read replica; null without one."
  value       = try(azurerm_mysql_flexible_server.replica[0].fqdn, null)
}

output "id" {
  description = "ID of the server; null when not created."
  value       = try(azurerm_mysql_flexible_server.this[0].id, null)
}

output "private_dns_zone_id" {
  description = "ID of the private DNS zone the server registers in; null when not created."
  value       = try(azurerm_private_dns_zone.this[0].id, null)
}
