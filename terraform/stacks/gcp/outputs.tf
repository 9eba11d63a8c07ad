# Outputs follow docs/contracts.md section 2 (same names and shapes on every cloud).

output "host_groups" {
  description = "Hosts per inventory group: { app, worker, mysql, mongodb, redis, search, rabbitmq }, each a list of { name, address, public_address }. In single the inventory puts the broker on the app host."
  value = {
    app      = module.app.hosts
    worker   = module.worker.hosts
    mysql    = local.store_hosts.mysql
    mongodb  = local.store_hosts.mongodb
    redis    = local.store_hosts.redis
    search   = local.store_hosts.search
    rabbitmq = module.data_hosts["rabbitmq"].hosts
  }
}

output "endpoints" {
  description = "Data store endpoints, each { host, port, managed, tls } (mysql also admin_user: the managed server's admin account, \"\" self-hosted; redis also ca_cert: its own CA where it has one, else \"\"); host is \"\" for self-hosted stores; tls: clients must connect over TLS."
  value = {
    # admin_user: the account the jobs create the platform's databases and users through (managed only).
    mysql = local.managed.mysql ? { host = module.mysql.host, port = module.mysql.port, managed = true, tls = module.mysql.tls, admin_user = module.mysql.admin_user } : {
      host = "", port = local.self_hosted_port.mysql, managed = false, tls = false, admin_user = ""
    }
    mongodb = { host = "", port = local.self_hosted_port.mongodb, managed = false, tls = false }
    # ca_cert: the managed Redis's own CA (PEM), when its certificate chains to no public root: Memorystore's
    # per-instance CA; "" where it does (ElastiCache, Azure Cache) and self-hosted (the data CA covers it).
    redis = local.managed.redis ? { host = module.redis.host, port = module.redis.port, managed = true, tls = module.redis.tls, ca_cert = join("", module.redis.server_ca_certs) } : {
      host = "", port = local.self_hosted_port.redis, managed = false, tls = false, ca_cert = ""
    }
    search = { host = "", port = local.self_hosted_port.search, managed = false, tls = false }
    # The Celery broker of broker rabbitmq: always the rabbitmq group's VM here (no managed RabbitMQ).
    rabbitmq = { host = "", port = 5671, managed = false, tls = false }
  }
}

output "buckets" {
  description = "GCS bucket names: { uploads, exports, grades, backups }."
  value       = module.storage.buckets
}

output "load_balancer" {
  description = "{ address, dns_name }: the global load balancer's address (or the first app host's public address when nginx terminates TLS); dns_name is always \"\" on GCP."
  value = {
    address  = local.public_address
    dns_name = ""
  }
}

output "dns_records" {
  description = "The records that point the public domains (LMS, Studio, MFEs, notes, Meilisearch) at the load balancer's address (or the app host's without one), each { name, type = \"A\", value, zone }: created in the managed zone of dns_zone (`zone`), else to create by hand (zone \"\")."
  value       = module.dns.records
}

output "storage_identity" {
  description = "E-mail of the service account the hosts run as (object admin on the buckets)."
  value       = module.storage.service_account_email
}

output "ssh_user" {
  description = "The SSH user on every host."
  value       = var.ssh_user
}

output "bastion" {
  description = "The SSH jump host the inventory reaches the private hosts through: { address (public), private_address, ssh_user }; addresses \"\" without one (no ssh_allowed_cidrs)."
  value = {
    address         = try(module.bastion.hosts[0].public_address, "")
    private_address = try(module.bastion.hosts[0].address, "")
    ssh_user        = var.ssh_user
  }
}

output "redis_credential" {
  description = "Password clients authenticate to Memorystore with: the AUTH string it generated (it cannot be chosen); \"\" when self-hosted."
  value       = local.managed.redis ? module.redis.credential : ""
  sensitive   = true
}

output "cdn" {
  description = "The CDN in front of /static/ and /media/: { domain, static_url, media_url }; Cloud CDN caches at the load balancer's edge, so domain is the LMS's; all \"\" without one (cdn_enabled = false, or no load balancer)."
  value = {
    domain     = module.cdn.domain
    static_url = module.cdn.domain != "" ? "https://${module.cdn.domain}/static/" : ""
    media_url  = module.cdn.domain != "" ? "https://${module.cdn.domain}/media/" : ""
  }
}

output "shared_files" {
  description = "The network file system the app and worker hosts mount at /var/lib/openedx: { type = \"nfs\", address, export, options } (Filestore); all \"\" in single, which has none (one host: nothing to share)."
  value = local.single ? { type = "", address = "", export = "", options = "" } : {
    type    = module.shared_files.type
    address = module.shared_files.address
    export  = module.shared_files.export
    options = module.shared_files.options
  }
}
