locals {
  app_hosts = module.app.hosts

  # In single every self-hosted store runs on the app host; otherwise on its own VMs (none when managed).
  host_groups = {
    app     = local.app_hosts
    worker  = module.worker.hosts
    mysql   = var.mysql_mode == "managed" ? [] : (local.single ? local.app_hosts : module.mysql_hosts.hosts)
    mongodb = var.mongodb_mode == "managed" ? [] : (local.single ? local.app_hosts : module.mongodb.hosts)
    redis   = var.redis_mode == "managed" ? [] : (local.single ? local.app_hosts : module.redis_hosts.hosts)
    search  = local.single ? local.app_hosts : module.search.hosts
  }
}

output "host_groups" {
  description = "Hosts per inventory group, each {name, address (private), public_address (\"\" when none)}."
  value       = local.host_groups
}

output "endpoints" {
  description = "Data-store endpoints { host, port, managed, tls }; host is \"\" where the store is self-hosted (the inventory points at the group's hosts). tls: clients must connect over TLS (every managed store enforces it)."
  value = {
    mysql = {
      host    = var.mysql_mode == "managed" ? module.mysql[0].host : ""
      port    = 3306
      managed = var.mysql_mode == "managed"
      tls     = var.mysql_mode == "managed"
    }
    mongodb = {
      host    = module.mongodb.host
      port    = module.mongodb.port
      managed = module.mongodb.managed
      tls     = module.mongodb.managed
    }
    redis = {
      host    = var.redis_mode == "managed" ? module.redis[0].host : ""
      port    = var.redis_mode == "managed" ? module.redis[0].port : 6379
      managed = var.redis_mode == "managed"
      tls     = var.redis_mode == "managed"
    }
    search = {
      host    = ""
      port    = module.search.port
      managed = false
      tls     = false
    }
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
  value       = var.redis_mode == "managed" ? module.redis[0].primary_access_key : ""
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
