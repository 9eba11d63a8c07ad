output "endpoint" {
  description = "{ host, port, managed, tls }: host is always \"\" (self-hosted: the inventory uses the search group's hosts); port 7700 for Meilisearch, 9200 otherwise."
  value = {
    host    = ""
    port    = local.client_port
    managed = false
    tls     = false
  }
}

output "hosts" {
  description = "The VMs: { name, address, public_address } each; empty when search runs on the app host."
  value       = module.hosts.hosts
}
