output "hosts" {
  description = "Search VMs as {name, address, public_address}."
  value       = module.hosts.hosts
}

output "port" {
  description = "HTTP port of the engine (7700 Meilisearch, 9200 Elasticsearch/OpenSearch)."
  value       = local.ports[var.engine]
}

output "engine" {
  description = "Engine the hosts are for."
  value       = var.engine
}
