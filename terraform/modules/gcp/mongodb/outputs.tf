output "endpoint" {
  description = "{ host, port, managed, tls }: host is always \"\" (self-hosted: the inventory uses the mongodb group's hosts)."
  value = {
    host    = ""
    port    = 27017
    managed = false
    tls     = false
  }
}

output "hosts" {
  description = "The VMs: { name, address, public_address } each; empty when MongoDB runs on the app host."
  value       = module.hosts.hosts
}
