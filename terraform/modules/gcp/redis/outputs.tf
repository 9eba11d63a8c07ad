output "endpoint" {
  description = "{ host, port, managed, tls }: Memorystore's private address and TLS port (6378), or host \"\" when self-hosted (the inventory uses the redis group's hosts)."
  value = {
    host    = local.managed ? google_redis_instance.this[0].host : ""
    port    = local.managed ? google_redis_instance.this[0].port : 6379
    managed = local.managed
    tls     = local.managed
  }
}

output "hosts" {
  description = "Self-hosted VM: { name, address, public_address }; empty when managed or on the app host."
  value       = module.hosts.hosts
}

output "auth_string" {
  description = "AUTH string Memorystore generated (it cannot be chosen); null when self-hosted."
  value       = try(google_redis_instance.this[0].auth_string, null)
  sensitive   = true
}

output "server_ca_certs" {
  description = "PEM CA certificates clients use to verify Memorystore's TLS certificate; empty when self-hosted."
  value       = try([for c in google_redis_instance.this[0].server_ca_certs : c.cert], [])
}
