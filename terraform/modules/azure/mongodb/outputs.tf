# The outputs every cloud's mongodb module gives (docs/contracts.md, "Data-store modules"), then Azure's own.

output "host" {
  description = "The cluster's SRV host name (connect with mongodb+srv:// and TLS); null when not created."
  value       = var.create ? "${var.name}.global.mongocluster.cosmos.azure.com" : null
}

output "port" {
  description = "Port clients connect to on a vCore cluster (10260); null when not created."
  value       = var.create ? 10260 : null
}

output "tls" {
  description = "Whether clients must connect over TLS: true whenever the cluster exists."
  value       = var.create
}

output "admin_user" {
  description = "Administrator of the cluster (its password is the one passed in); null when not created."
  value       = var.create ? var.administrator_username : null
}

output "id" {
  description = "ID of the cluster; null when not created."
  value       = try(azurerm_mongo_cluster.this[0].id, null)
}
