output "endpoint" {
  description = "{ host, port, managed }: host is always \"\" (self-hosted: the inventory uses the mongodb group's hosts)."
  value = {
    host    = ""
    port    = 27017
    managed = false
  }
}

output "hosts" {
  description = "The VMs: { name, address, public_address } each; empty when MongoDB runs on the app host."
  value       = module.hosts.hosts
}
