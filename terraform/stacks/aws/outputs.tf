# Outputs follow docs/contracts.md section 2 (same names and shapes on every cloud).

locals {
  # In single every self-hosted store runs on the app host, which then belongs to its group; otherwise on its own
  # VMs (none when managed).
  store_hosts = {
    for store, managed in local.managed : store => concat(local.single && !managed ? module.app.hosts : [], module.data_hosts[store].hosts)
  }
}

output "host_groups" {
  description = "Hosts per inventory group: app, worker, mysql, mongodb, redis, search, rabbitmq; each item {name, address, public_address}. In single the inventory puts the broker on the app host."
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
  description = "Data store endpoints { host, port, managed, tls } (mysql also admin_user: the managed server's admin account, \"\" self-hosted; redis also ca_cert: its own CA where it has one, else \"\"); host is \"\" where the store is self-hosted (the inventory uses the group's hosts). tls: clients must connect over TLS (every managed store enforces it)."
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
    search = local.managed.search ? { host = module.search.host, port = module.search.port, managed = true, tls = module.search.tls } : {
      host = "", port = local.self_hosted_port.search, managed = false, tls = false
    }
    # The Celery broker of broker rabbitmq: Amazon MQ, or the rabbitmq group's VM.
    rabbitmq = local.rabbitmq_managed ? { host = module.rabbitmq.host, port = module.rabbitmq.port, managed = true, tls = module.rabbitmq.tls } : {
      host = "", port = 5671, managed = false, tls = false
    }
  }
}

output "buckets" {
  description = "S3 bucket names: uploads, exports, grades, backups."
  value = {
    uploads = module.storage.bucket_names["uploads"]
    exports = module.storage.bucket_names["exports"]
    grades  = module.storage.bucket_names["grades"]
    backups = module.storage.bucket_names["backups"]
  }
}

output "load_balancer" {
  description = "Load balancer: AWS load balancers have no fixed address, so address is \"\" and DNS records point at dns_name (CNAME/alias)."
  value = {
    address  = ""
    dns_name = module.load_balancer.dns_name
  }
}

output "dns_records" {
  description = "The records that point the public domains (LMS, Studio, MFEs, notes, Meilisearch) at the load balancer, each { name, type, value, zone }: with dns_zone, ALIAS records (Route 53 alias A records) to its DNS name, created in `zone`; without, the CNAMEs to create by hand (zone \"\")."
  value       = module.dns.records
}

output "storage_identity" {
  description = "ARN of the IAM role the app and worker hosts use for the buckets."
  value       = module.app.role_arn
}

output "ssh_user" {
  description = "The SSH user cloud-init created on every host."
  value       = var.ssh_user
}

output "bastion" {
  description = "The SSH jump host the inventory reaches the private hosts through: { address (public), private_address, ssh_user }; addresses \"\" without one (no ssh_allowed_cidrs, or create_bastion = false)."
  value = {
    address         = try(module.bastion.hosts[0].public_address, "")
    private_address = try(module.bastion.hosts[0].address, "")
    ssh_user        = var.ssh_user
  }
}

output "redis_credential" {
  description = "Password clients authenticate to the managed Redis with: the AUTH token passed in (redis_auth_token); \"\" when self-hosted."
  value       = local.managed.redis && module.redis.credential != null ? module.redis.credential : ""
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
  description = "The network file system the app and worker hosts mount at /var/lib/openedx: { type = \"nfs\", address, export, options } (Amazon EFS); all \"\" in single, which has none (one host: nothing to share)."
  value = local.single ? { type = "", address = "", export = "", options = "" } : {
    type    = module.shared_files.type
    address = module.shared_files.address
    export  = module.shared_files.export
    options = module.shared_files.options
  }
}
