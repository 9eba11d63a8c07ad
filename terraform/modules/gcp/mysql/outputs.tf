output "endpoint" {
  description = "{ host, port, managed, tls }: host is the Cloud SQL private IP (TLS only: ssl_mode ENCRYPTED_ONLY), or \"\" when self-hosted (the inventory uses the mysql group's hosts)."
  value = {
    host    = local.managed ? google_sql_database_instance.this[0].private_ip_address : ""
    port    = 3306
    managed = local.managed
    tls     = local.managed
  }
}

output "hosts" {
  description = "Self-hosted VMs: { name, address, public_address } each; empty when managed or on the app host."
  value       = module.hosts.hosts
}

output "admin_user" {
  description = "Administrative user: root on Cloud SQL and on the self-hosted role."
  value       = "root"
}

output "instance_name" {
  description = "Cloud SQL instance name; null when self-hosted."
  value       = try(google_sql_database_instance.this[0].name, null)
}

output "connection_name" {
  description = "Cloud SQL connection name (project:region:instance); null when self-hosted."
  value       = try(google_sql_database_instance.this[0].connection_name, null)
}

output "replica_host" {
  description = "Private IP of the Cloud SQL read replica; null without one."
  value       = try(google_sql_database_instance.replica[0].private_ip_address, null)
}

output "server_ca_cert" {
  description = "PEM CA certificate clients use to verify Cloud SQL's TLS certificate; null when self-hosted."
  value       = try(google_sql_database_instance.this[0].server_ca_cert[0].cert, null)
  sensitive   = true
}
