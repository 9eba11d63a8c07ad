locals {
  # In single every self-hosted store runs on the app host, which then belongs to its group; otherwise on its own
  # VMs (none when managed).
  store_hosts = {
    for store, managed in local.managed : store => concat(local.single && !managed ? module.app.hosts : [], module.data_hosts[store].hosts)
  }
}

output "host_groups" {
  description = "Hosts per inventory group (app, worker, mysql, mongodb, redis, search, rabbitmq), each {name, address (private), public_address (\"\" when none)}. In single the inventory puts the broker on the app host."
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
  description = "Data-store endpoints { host, port, managed, tls } (mysql also admin_user: the managed server's admin account, \"\" self-hosted; redis also ca_cert: its own CA where it has one, else \"\"); host is \"\" where the store is self-hosted (the inventory points at the group's hosts). tls: clients must connect over TLS (every managed store enforces it)."
  value = {
    # admin_user: the account the jobs create the platform's databases and users through (managed only).
    mysql = local.managed.mysql ? { host = module.mysql.host, port = module.mysql.port, managed = true, tls = module.mysql.tls, admin_user = module.mysql.admin_user } : {
      host = "", port = local.self_hosted_port.mysql, managed = false, tls = false, admin_user = ""
    }
    mongodb = local.managed.mongodb ? { host = module.mongodb.host, port = module.mongodb.port, managed = true, tls = module.mongodb.tls } : {
      host = "", port = local.self_hosted_port.mongodb, managed = false, tls = false
    }
    # ca_cert: the managed Redis's own CA (PEM), when its certificate chains to no public root: Memorystore's
    # per-instance CA; "" where it does (ElastiCache, Azure Cache) and self-hosted (the data CA covers it).
    redis = local.managed.redis ? { host = module.redis.host, port = module.redis.port, managed = true, tls = module.redis.tls, ca_cert = "" } : {
      host = "", port = local.self_hosted_port.redis, managed = false, tls = false, ca_cert = ""
    }
    search = { host = "", port = local.self_hosted_port.search, managed = false, tls = false }
    # The Celery broker of broker rabbitmq: always the rabbitmq group's VM here (no managed RabbitMQ).
    rabbitmq = { host = "", port = 5671, managed = false, tls = false }
  }
}

output "buckets" {
  description = "Blob containers as \"<storage account>/<container>\"."
  value = {
    uploads = module.storage.containers["uploads"]
    exports = module.storage.containers["exports"]
    grades  = module.storage.containers["grades"]
    backups = module.storage.containers["backups"]
  }
}

output "load_balancer" {
  description = "Application Gateway public address and its Azure DNS name."
  value = {
    address  = module.load_balancer.address
    dns_name = module.load_balancer.dns_name
  }
}

output "dns_records" {
  description = "The records that point the public domains (LMS, Studio, MFEs, notes, Meilisearch) at the Application Gateway's public address, each { name, type = \"A\", value, zone }: created in the Azure DNS zone dns_zone (`zone`), else to create by hand (zone \"\")."
  value       = module.dns.records
}

output "storage_identity" {
  description = "Client ID of the hosts' user-assigned managed identity (Storage Blob Data Contributor on the account)."
  value       = module.storage.identity_client_id
}

output "ssh_user" {
  description = "The SSH user on every VM."
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
  description = "Password clients authenticate to Azure Cache for Redis with: the access key Azure generated (it cannot be chosen); \"\" when self-hosted."
  value       = local.managed.redis ? module.redis.credential : ""
  sensitive   = true
}

output "cdn" {
  description = "The CDN in front of /static/ and /media/: { domain, static_url, media_url }; all \"\" without one (cdn_enabled = false)."
  value = {
    domain     = module.cdn.domain
    static_url = module.cdn.domain != "" ? "https://${module.cdn.domain}/static/" : ""
    media_url  = module.cdn.domain != "" ? "https://${module.cdn.domain}/media/" : ""
  }
}

output "shared_files" {
  description = "The network file system the app and worker hosts mount at /var/lib/openedx: { type = \"nfs\", address, export, options } (an NFS share of Azure Files); all \"\" in single, which has none (one host: nothing to share)."
  value = local.single ? { type = "", address = "", export = "", options = "" } : {
    type    = module.shared_files.type
    address = module.shared_files.address
    export  = module.shared_files.export
    options = module.shared_files.options
  }
}
