output "host" {
  description = "Private host name of the server (resolves through the linked private DNS zone)."
  value       = azurerm_mysql_flexible_server.this.fqdn
}

output "port" {
  description = "MySQL port."
  value       = 3306
}

output "id" {
  description = "ID of the server."
  value       = azurerm_mysql_flexible_server.this.id
}

output "administrator_login" {
  description = "Name of the server administrator; its password is the one passed in (nothing is stored by this module)."
  value       = azurerm_mysql_flexible_server.this.administrator_login
}

output "replica_host" {
  description = "Host name of the read replica, \"\" without one."
  value       = try(azurerm_mysql_flexible_server.replica[0].fqdn, "")
}

output "private_dns_zone_id" {
  description = "ID of the private DNS zone the server registers in."
  value       = azurerm_private_dns_zone.this.id
}
