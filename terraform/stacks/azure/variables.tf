# Inputs shared by the aws, gcp and azure stacks (docs/contracts.md section 2), then Azure-only ones with defaults.

variable "environment" {
  description = "Environment name: prefix of every resource name and the environment tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}."
  }
}

variable "region" {
  description = "Azure location, e.g. eastus."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]+$", var.region))
    error_message = "The region must be an Azure location name in lower case without spaces, e.g. eastus or westeurope."
  }
}

variable "zones" {
  description = "Availability zones (\"1\", \"2\", \"3\") to spread hosts and HA replicas over; empty for regions without zones."
  type        = list(string)
  default     = ["1"]

  validation {
    condition     = alltrue([for z in var.zones : contains(["1", "2", "3"], z)])
    error_message = "Each zone must be \"1\", \"2\" or \"3\" (Azure availability zone numbers)."
  }
}

variable "profile" {
  description = "Size profile: single, standard or ha."
  type        = string

  validation {
    condition     = contains(["single", "standard", "ha"], var.profile)
    error_message = "The profile must be single, standard or ha."
  }
}

variable "os_image" {
  description = "Base image of every VM: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "network_cidr" {
  description = "VNet CIDR (/16 to /21), cut into /24 tier subnets."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.network_cidr, 0))
    error_message = "The network_cidr must be an IPv4 CIDR such as 10.40.0.0/16."
  }
}

variable "ssh_user" {
  description = "Administrator user created on every VM (key authentication only)."
  type        = string
  default     = "openedx"
}

variable "ssh_public_key" {
  description = "OpenSSH public key text for ssh_user (not a secret)."
  type        = string
}

variable "ssh_allowed_cidrs" {
  description = "CIDR blocks allowed to reach port 22 of the bastion, the one host SSH reaches from outside (the others accept SSH from it only); empty: no bastion, nobody from outside the network."
  type        = list(string)
  default     = []
}

variable "app_count" {
  description = "Number of app hosts (LMS, Studio, notes, MFE, proxy)."
  type        = number
  default     = 1

  validation {
    condition     = var.app_count >= 1 && floor(var.app_count) == var.app_count
    error_message = "The app_count must be a whole number, at least 1."
  }
}

variable "app_machine_type" {
  description = "VM size of the app hosts."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "app_disk_gb" {
  description = "OS disk of the app hosts in GB."
  type        = number
  default     = 40
}

variable "worker_count" {
  description = "Number of Celery worker hosts (0 in single)."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_count >= 0 && floor(var.worker_count) == var.worker_count
    error_message = "The worker_count must be a whole number, 0 or more."
  }
}

variable "worker_machine_type" {
  description = "VM size of the worker hosts."
  type        = string
  default     = "Standard_D2s_v5"
}

variable "worker_disk_gb" {
  description = "OS disk of the worker hosts in GB."
  type        = number
  default     = 40
}

variable "mysql_mode" {
  description = "managed (Azure Database for MySQL Flexible Server) or self_hosted."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mysql_mode)
    error_message = "The mysql_mode must be managed or self_hosted."
  }
}

variable "mysql_version" {
  description = "MySQL version, e.g. 8.4 (8.0 maps to the provider's 8.0.21)."
  type        = string
  default     = "8.4"

  validation {
    condition     = contains(["8.4", "8.0", "8.0.21", "5.7"], var.mysql_version)
    error_message = "The mysql_version must be 8.4, 8.0 or 5.7."
  }
}

variable "mysql_machine_type" {
  description = "Managed: Flexible Server SKU (GP_Standard_D2ds_v4, or a VM size that gets the GP_/B_ prefix). Self-hosted: VM size."
  type        = string
  default     = "Standard_D2ds_v4"
}

variable "mysql_disk_gb" {
  description = "Storage of the managed server, or OS disk of the self-hosted VM, in GB."
  type        = number
  default     = 100
}

variable "mysql_ha" {
  description = "Managed: zone-redundant standby with automatic failover. Self-hosted: the mysql role replicates to the second VM (data_host_counts.mysql = 2)."
  type        = bool
  default     = false
}

variable "mysql_read_replica" {
  description = "Managed: one read replica. Self-hosted: the mysql role replicates to the second VM (data_host_counts.mysql = 2)."
  type        = bool
  default     = false
}

variable "mysql_backup_retention_days" {
  description = "Days of automated backups (managed)."
  type        = number
  default     = 7
}

variable "mongodb_mode" {
  description = "self_hosted (VMs, replica set) or managed (Azure Cosmos DB for MongoDB vCore; see docs/clouds-azure.md for its limits)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mongodb_mode)
    error_message = "The mongodb_mode must be managed or self_hosted."
  }
}

variable "mongodb_version" {
  description = "MongoDB version, e.g. 7.0."
  type        = string
  default     = "7.0"
}

variable "mongodb_count" {
  description = "Replica set members. Sizes nothing on Azure: self-hosted VMs come from data_host_counts.mongodb."
  type        = number
  default     = 1
}

variable "mongodb_machine_type" {
  description = "VM size (self-hosted) or vCore compute tier such as M30 (managed)."
  type        = string
  default     = "Standard_E2s_v5"
}

variable "mongodb_disk_gb" {
  description = "Disk (self-hosted) or cluster storage (managed) in GB."
  type        = number
  default     = 100
}

variable "redis_mode" {
  description = "managed (Azure Cache for Redis, TLS only) or self_hosted."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.redis_mode)
    error_message = "The redis_mode must be managed or self_hosted."
  }
}

variable "redis_version" {
  description = "Redis version, e.g. 7.4 (self-hosted); Azure Cache for Redis runs 6 whatever is asked."
  type        = string
  default     = "7.4"
}

variable "redis_machine_type" {
  description = "Managed: cache size such as Standard_C1 or Premium_P1 (C1/P1 also work). Self-hosted: VM size."
  type        = string
  default     = "Standard_C1"
}

variable "redis_ha" {
  description = "Managed: Premium tier with nodes spread over the zones."
  type        = bool
  default     = false
}

variable "search_engine" {
  description = "meilisearch, elasticsearch or opensearch."
  type        = string
  default     = "meilisearch"

  validation {
    condition     = contains(["meilisearch", "elasticsearch", "opensearch"], var.search_engine)
    error_message = "The search_engine must be meilisearch, elasticsearch or opensearch."
  }
}

variable "search_mode" {
  description = "Only self_hosted on Azure (no managed Meilisearch/OpenSearch service; Elastic on Azure is a partner offering)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.search_mode == "self_hosted"
    error_message = "On Azure the search_mode must be self_hosted: Azure has no managed Meilisearch or OpenSearch, and Elastic on Azure is a separate partner offering."
  }
}

variable "search_version" {
  description = "Search engine version (installed by Ansible; recorded as a tag)."
  type        = string
  default     = "1.8"
}

variable "search_count" {
  description = "Search nodes. Sizes nothing on Azure (no managed search): the VMs come from data_host_counts.search."
  type        = number
  default     = 1
}

variable "search_machine_type" {
  description = "VM size of the search hosts."
  type        = string
  default     = "Standard_E2s_v5"
}

variable "search_disk_gb" {
  description = "OS disk of the search hosts in GB."
  type        = number
  default     = 50
}

variable "data_host_counts" {
  description = "VMs per self-hosted data store, and the RabbitMQ broker's: { mysql, mongodb, redis, search, rabbitmq }. The Python topology decides them (docs/contracts.md section 2); the stack creates exactly these: 0 for a managed store, for rabbitmq with the redis broker, and in single, where self-hosted stores and the broker run on the app host."
  type = object({
    mysql    = number
    mongodb  = number
    redis    = number
    search   = number
    rabbitmq = number
  })

  validation {
    condition     = alltrue([for n in values(var.data_host_counts) : n >= 0 && floor(n) == n])
    error_message = "Each of data_host_counts' mysql, mongodb, redis, search and rabbitmq must be a whole number, 0 or more."
  }
}

variable "rabbitmq_mode" {
  description = "self_hosted only: Azure has no managed RabbitMQ (the rabbitmq role runs on a VM, data_host_counts.rabbitmq). Kept for the common interface."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = var.rabbitmq_mode == "self_hosted"
    error_message = "The rabbitmq_mode must be self_hosted: Azure has no managed RabbitMQ (Amazon MQ is AWS only)."
  }
}

variable "rabbitmq_machine_type" {
  description = "VM size of the RabbitMQ broker host (data_host_counts.rabbitmq; broker rabbitmq, docs/rabbitmq.md)."
  type        = string
  default     = "Standard_E2s_v5"

  validation {
    condition     = length(var.rabbitmq_machine_type) > 0
    error_message = "The rabbitmq_machine_type must not be empty."
  }
}

variable "storage_bucket_prefix" {
  description = "Prefix the storage account name is made from (letters and digits kept, 24 at most; globally unique)."
  type        = string
}

variable "storage_versioning" {
  description = "Blob versioning on the storage account."
  type        = bool
  default     = true
}

variable "tls_mode" {
  description = "acme, cloud, provided or self_signed (see the load_balancer module for what each means on Azure)."
  type        = string
  default     = "self_signed"

  validation {
    condition     = contains(["acme", "cloud", "provided", "self_signed"], var.tls_mode)
    error_message = "The tls_mode must be acme, cloud, provided or self_signed."
  }
}

variable "lms_domain" {
  description = "LMS host name."
  type        = string
}

variable "studio_domain" {
  description = "Studio host name."
  type        = string
}

variable "mfe_domain" {
  description = "MFE host name."
  type        = string
}

variable "dns_zone" {
  description = "DNS name of the public zone on this cloud that holds the environment's domains (LMS, Studio, MFEs, notes, Meilisearch) (such as example.com): the stack points them at the load balancer there. \"\" creates no record: the dns_records output lists the records to create."
  type        = string
  default     = ""

  validation {
    condition     = var.dns_zone == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}$", var.dns_zone))
    error_message = "The dns_zone must be a lowercase DNS name such as example.com (no trailing dot), or \"\"."
  }
}

variable "notes_domain" {
  description = "Notes API host name, which browsers call (EDXNOTES_PUBLIC_API); \"\" leaves it out of the certificate."
  type        = string
  default     = ""
}

variable "meilisearch_domain" {
  description = "Meilisearch host name, which browsers query (Studio's content search); \"\" (other search engines) leaves it out."
  type        = string
  default     = ""
}

variable "tls_certificate_file" {
  description = "Path of the PEM certificate chain; \"\" unless tls_mode = provided."
  type        = string
  default     = ""

  validation {
    condition     = var.tls_certificate_file == "" || try(fileexists(var.tls_certificate_file), false)
    error_message = "The tls_certificate_file must be \"\" or the path of an existing file."
  }
}

variable "tls_private_key_file" {
  description = "Path of the PEM private key (PKCS#8, BEGIN PRIVATE KEY); \"\" unless tls_mode = provided."
  type        = string
  default     = ""

  validation {
    condition     = var.tls_private_key_file == "" || try(fileexists(var.tls_private_key_file), false)
    error_message = "The tls_private_key_file must be \"\" or the path of an existing file."
  }
}

variable "deletion_protection" {
  description = "Management locks (CanNotDelete) on the database, the MongoDB cluster and the storage account."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource (environment is always added)."
  type        = map(string)
  default     = {}
}

variable "mysql_admin_password" {
  description = "Managed MySQL administrator password (TF_VAR_mysql_admin_password only). Azure requires one for a password-authenticated server."
  type        = string
  default     = ""
  sensitive   = true
}

variable "redis_auth_token" {
  description = "Unused on Azure: Azure Cache for Redis generates its access keys and does not accept one (kept for the common interface)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "rabbitmq_admin_password" {
  description = "Unused on Azure: no managed RabbitMQ. Kept for the common interface."
  type        = string
  default     = ""
  sensitive   = true
}

# ---- Azure-only inputs ----

variable "dns_zone_resource_group" {
  description = "Resource group of the Azure DNS zone dns_zone; \"\": the first zone of that name in the subscription."
  type        = string
  default     = ""
}

variable "mongodb_admin_password" {
  description = "Administrator password of a managed (Cosmos DB vCore) MongoDB cluster (TF_VAR_mongodb_admin_password only)."
  type        = string
  default     = ""
  sensitive   = true
}

variable "encryption_at_host" {
  description = "Encryption at host on every VM; the subscription needs the Microsoft.Compute/EncryptionAtHost feature registered."
  type        = bool
  default     = true
}

variable "storage_shared_key_enabled" {
  description = "Allow account-key access to the storage account (off: the hosts use their managed identity)."
  type        = bool
  default     = false
}

variable "storage_allowed_ip_ranges" {
  description = "Public CIDRs allowed through the storage account firewall besides the VNet subnets (e.g. operators)."
  type        = list(string)
  default     = []
}

variable "waf_enabled" {
  description = "Application Gateway WAF_v2 with OWASP 3.2 rules in Prevention mode."
  type        = bool
  default     = false
}

variable "tls_certificate_issuer" {
  description = "Key Vault certificate issuer for tls_mode = cloud (Self, or an issuer linked to DigiCert/GlobalSign)."
  type        = string
  default     = "Self"
}

variable "mysql_geo_redundant_backup" {
  description = "Copy managed MySQL backups to the paired region; turn off in regions without a pair that supports it."
  type        = bool
  default     = true
}

variable "ssh_host_key" {
  description = "Secret (TF_VAR_ssh_host_key): the environment's ed25519 SSH host key, OpenSSH private format, installed on every host so that the inventory can pin it; \"\" leaves the image's own keys."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ssh_host_public_key" {
  description = "Passed with ssh_host_key (TF_VAR_ssh_host_public_key): its public half, which Terraform cannot derive without the tls provider."
  type        = string
  default     = ""
  sensitive   = true
}

variable "bastion_machine_type" {
  description = "VM size of the SSH bastion (created when ssh_allowed_cidrs is not empty)."
  type        = string
  default     = "Standard_B1s"
}

variable "cdn_enabled" {
  description = "Put the cloud's CDN in front of the LMS's /static/ and /media/ (the environment file's cdn.enabled); the cdn output then gives the URLs the platform's settings use."
  type        = bool
  default     = false
}

variable "cdn_domain" {
  description = "Custom host name of the CDN, such as static.example.com, in dns_zone (its certificate is validated and its record created there); \"\": the CDN's own name."
  type        = string
  default     = ""

  validation {
    condition     = var.cdn_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.cdn_domain))
    error_message = "The cdn_domain must be a lowercase DNS name such as static.example.com, or \"\"."
  }
}
