output "hosts" {
  description = "Self-hosted VMs as {name, address, public_address}; empty when managed."
  value       = module.hosts.hosts
}

output "host" {
  description = "Managed: the cluster's SRV host name (connect with mongodb+srv:// and TLS). Self-hosted: \"\" (the inventory points at the hosts)."
  value       = local.managed ? "${var.name}.global.mongocluster.cosmos.azure.com" : ""
}

output "port" {
  description = "Port clients connect to: 10260 on a vCore cluster, 27017 self-hosted."
  value       = local.managed ? 10260 : 27017
}

output "managed" {
  description = "Whether the store is the managed Cosmos DB cluster."
  value       = local.managed
}

output "id" {
  description = "ID of the managed cluster, null when self-hosted."
  value       = try(azurerm_mongo_cluster.this[0].id, null)
}
