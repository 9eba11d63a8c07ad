# Inputs follow docs/contracts.md section 2 (same names on every cloud). AWS-only extras at the end have defaults.

variable "environment" {
  description = "Environment name: prefix of every resource name and the `environment` tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.environment))
    error_message = "The environment must match [a-z][a-z0-9-]{1,30}: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region, such as us-east-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "The region must be an AWS region name such as us-east-1 or eu-west-3."
  }
}

variable "zones" {
  description = "Availability zones to spread hosts and HA data stores over; empty picks the region's first 2 (3 for ha). Two or more are needed for the load balancer."
  type        = list(string)
  default     = []
}

variable "profile" {
  description = "Size profile: single (one host runs everything), standard (separate tiers) or ha (several hosts across zones)."
  type        = string

  validation {
    condition     = contains(["single", "standard", "ha"], var.profile)
    error_message = "The profile must be one of single, standard, ha."
  }
}

variable "os_image" {
  description = "Operating system of every host: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.os_image)
    error_message = "The os_image must be debian-12 or ubuntu-24.04."
  }
}

variable "network_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.network_cidr, 0))
    error_message = "The network_cidr must be an IPv4 CIDR block such as 10.40.0.0/16."
  }
}

variable "ssh_user" {
  description = "Login user cloud-init creates on every host, with sudo and the given public key."
  type        = string
  default     = "openedx"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user)) && !contains(["root", "admin", "ubuntu"], var.ssh_user)
    error_message = "The ssh_user must be a POSIX user name (lowercase, up to 32 characters) other than root, admin or ubuntu."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key text authorised for ssh_user (not a secret)."
  type        = string

  validation {
    condition     = can(regex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com) ", var.ssh_public_key))
    error_message = "The ssh_public_key must be an OpenSSH public key line starting with ssh-ed25519, ssh-rsa or ecdsa-sha2-*."
  }
}

variable "ssh_allowed_cidrs" {
  description = "CIDR blocks allowed to reach port 22 of the bastion, the one host SSH reaches from outside (the others accept SSH from it only); empty: no bastion, nobody from outside the network."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "Every ssh_allowed_cidrs entry must be an IPv4 CIDR block such as 203.0.113.0/24."
  }
}

variable "app_count" {
  description = "Number of app hosts (LMS, Studio, notes, MFE, nginx)."
  type        = number
  default     = 1

  validation {
    condition     = var.app_count >= 1 && var.app_count <= 20 && floor(var.app_count) == var.app_count
    error_message = "The app_count must be a whole number from 1 to 20."
  }
}

variable "app_machine_type" {
  description = "EC2 instance type of the app hosts."
  type        = string
  default     = "m6i.xlarge"
}

variable "app_disk_gb" {
  description = "Root volume size of each app host, in GiB."
  type        = number
  default     = 40

  validation {
    condition     = var.app_disk_gb >= 20
    error_message = "The app_disk_gb must be at least 20."
  }
}

variable "worker_count" {
  description = "Number of Celery worker hosts (0 in single: the workers run on the app host)."
  type        = number
  default     = 0

  validation {
    condition     = var.worker_count >= 0 && var.worker_count <= 20 && floor(var.worker_count) == var.worker_count
    error_message = "The worker_count must be a whole number from 0 to 20."
  }
}

variable "worker_machine_type" {
  description = "EC2 instance type of the worker hosts."
  type        = string
  default     = "m6i.large"
}

variable "worker_disk_gb" {
  description = "Root volume size of each worker host, in GiB."
  type        = number
  default     = 40

  validation {
    condition     = var.worker_disk_gb >= 20
    error_message = "The worker_disk_gb must be at least 20."
  }
}

variable "mysql_mode" {
  description = "managed (Amazon RDS for MySQL) or self_hosted (EC2 hosts configured by the mysql role)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mysql_mode)
    error_message = "The mysql_mode must be managed or self_hosted."
  }
}

variable "mysql_version" {
  description = "MySQL major.minor version, such as 8.4."
  type        = string
  default     = "8.4"

  validation {
    condition     = can(regex("^8\\.[0-9]+$", var.mysql_version))
    error_message = "The mysql_version must be a MySQL 8 major.minor version such as 8.4."
  }
}

variable "mysql_machine_type" {
  description = "RDS instance class (db.*) when managed, EC2 instance type when self-hosted."
  type        = string
  default     = "db.m6g.large"
}

variable "mysql_disk_gb" {
  description = "Allocated storage (managed) or root volume size (self-hosted) for MySQL, in GiB."
  type        = number
  default     = 100

  validation {
    condition     = var.mysql_disk_gb >= 20
    error_message = "The mysql_disk_gb must be at least 20."
  }
}

variable "mysql_ha" {
  description = "Managed: Multi-AZ standby. Self-hosted: the mysql role replicates to the second host (data_host_counts.mysql = 2)."
  type        = bool
  default     = false
}

variable "mysql_read_replica" {
  description = "Managed: a read replica. Self-hosted: the mysql role replicates to the second host (data_host_counts.mysql = 2)."
  type        = bool
  default     = false
}

variable "mysql_backup_retention_days" {
  description = "Days of automated MySQL backups to keep."
  type        = number
  default     = 7

  validation {
    condition     = var.mysql_backup_retention_days >= 1 && var.mysql_backup_retention_days <= 35
    error_message = "The mysql_backup_retention_days must be between 1 and 35."
  }
}

variable "mongodb_mode" {
  description = "self_hosted (EC2 replica set configured by the mongodb role) or managed (Amazon DocumentDB, MongoDB-compatible with gaps: see docs/clouds.md)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.mongodb_mode)
    error_message = "The mongodb_mode must be managed or self_hosted."
  }
}

variable "mongodb_version" {
  description = "MongoDB version the self-hosted role installs (DocumentDB uses its 5.0 compatible engine)."
  type        = string
  default     = "7.0"
}

variable "mongodb_count" {
  description = "DocumentDB instances when managed. Self-hosted MongoDB hosts come from data_host_counts.mongodb."
  type        = number
  default     = 1

  validation {
    condition     = var.mongodb_count >= 0 && var.mongodb_count <= 7 && floor(var.mongodb_count) == var.mongodb_count
    error_message = "The mongodb_count must be a whole number from 0 (single: on the app host) to 7."
  }
}

variable "mongodb_machine_type" {
  description = "EC2 instance type (self-hosted) or DocumentDB instance class (db.*, managed)."
  type        = string
  default     = "r6i.large"
}

variable "mongodb_disk_gb" {
  description = "Root volume size of each self-hosted MongoDB host, in GiB (DocumentDB storage grows on its own)."
  type        = number
  default     = 100

  validation {
    condition     = var.mongodb_disk_gb >= 20
    error_message = "The mongodb_disk_gb must be at least 20."
  }
}

variable "redis_mode" {
  description = "managed (ElastiCache for Redis OSS) or self_hosted (EC2 host configured by the redis role)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.redis_mode)
    error_message = "The redis_mode must be managed or self_hosted."
  }
}

variable "redis_version" {
  description = "Redis major.minor version, such as 7.4 (ElastiCache Redis OSS offers up to 7.1; a higher minor is capped there)."
  type        = string
  default     = "7.4"

  validation {
    condition     = can(regex("^[67]\\.[0-9]+$", var.redis_version))
    error_message = "The redis_version must be a Redis 6 or 7 major.minor version such as 7.4."
  }
}

variable "redis_machine_type" {
  description = "ElastiCache node type (cache.*) when managed, EC2 instance type when self-hosted."
  type        = string
  default     = "cache.m6g.large"
}

variable "redis_ha" {
  description = "Managed: a replica in another zone with automatic failover. Self-hosted: no effect (one host, data_host_counts.redis)."
  type        = bool
  default     = false
}

variable "search_engine" {
  description = "Search engine: meilisearch, elasticsearch or opensearch."
  type        = string
  default     = "meilisearch"

  validation {
    condition     = contains(["meilisearch", "elasticsearch", "opensearch"], var.search_engine)
    error_message = "The search_engine must be meilisearch, elasticsearch or opensearch."
  }
}

variable "search_mode" {
  description = "self_hosted (EC2 hosts) or managed (Amazon OpenSearch Service; only with search_engine = opensearch)."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.search_mode)
    error_message = "The search_mode must be managed or self_hosted."
  }
}

variable "search_version" {
  description = "Search engine version (managed OpenSearch: major.minor such as 2.19)."
  type        = string
  default     = "1.8"
}

variable "search_count" {
  description = "OpenSearch data nodes when managed. Self-hosted search hosts come from data_host_counts.search."
  type        = number
  default     = 1

  validation {
    condition     = var.search_count >= 0 && var.search_count <= 10 && floor(var.search_count) == var.search_count
    error_message = "The search_count must be a whole number from 0 (single: on the app host) to 10."
  }
}

variable "search_machine_type" {
  description = "EC2 instance type (self-hosted) or OpenSearch instance type (*.search, managed)."
  type        = string
  default     = "m6i.large"
}

variable "search_disk_gb" {
  description = "Disk per search host or OpenSearch data node, in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.search_disk_gb >= 10
    error_message = "The search_disk_gb must be at least 10."
  }
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
  description = "self_hosted (the rabbitmq role on a VM, data_host_counts.rabbitmq) or managed (Amazon MQ for RabbitMQ). Used with broker rabbitmq only."
  type        = string
  default     = "self_hosted"

  validation {
    condition     = contains(["managed", "self_hosted"], var.rabbitmq_mode)
    error_message = "The rabbitmq_mode must be managed or self_hosted."
  }
}

variable "rabbitmq_machine_type" {
  description = "The RabbitMQ broker's size: its VM's when self-hosted (data_host_counts.rabbitmq; an mq. prefix is dropped), Amazon MQ's instance type when managed (mq.m7g.large)."
  type        = string
  default     = "r6i.large"

  validation {
    condition     = length(var.rabbitmq_machine_type) > 0
    error_message = "The rabbitmq_machine_type must not be empty."
  }
}

variable "rabbitmq_version" {
  description = "RabbitMQ version of the Amazon MQ broker when rabbitmq_mode = managed: 3.13, or 4.2 (mq.m7g only). A self-hosted broker runs the OS archive's."
  type        = string
  default     = "3.13"
}

variable "storage_bucket_prefix" {
  description = "Prefix of the S3 bucket names (uploads, exports, grades, backups are appended)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,45}[a-z0-9]$", var.storage_bucket_prefix))
    error_message = "The storage_bucket_prefix must be 3-47 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "storage_versioning" {
  description = "Keep previous versions of objects (noncurrent versions expire after a lifecycle period)."
  type        = bool
  default     = true
}

variable "tls_mode" {
  description = "acme (nginx on the app hosts gets Let's Encrypt certificates), cloud (ACM certificate, DNS-validated), provided (operator's certificate imported into ACM) or self_signed."
  type        = string
  default     = "self_signed"

  validation {
    condition     = contains(["acme", "cloud", "provided", "self_signed"], var.tls_mode)
    error_message = "The tls_mode must be acme, cloud, provided or self_signed."
  }
}

variable "lms_domain" {
  description = "Host name of the LMS, such as learn.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.lms_domain))
    error_message = "The lms_domain must be a lowercase DNS name such as learn.example.com."
  }
}

variable "studio_domain" {
  description = "Host name of Studio, such as studio.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.studio_domain))
    error_message = "The studio_domain must be a lowercase DNS name such as studio.example.com."
  }
}

variable "mfe_domain" {
  description = "Host name of the micro-frontends, such as apps.example.com."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.mfe_domain))
    error_message = "The mfe_domain must be a lowercase DNS name such as apps.example.com."
  }
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
  description = "Host name of the notes API, which browsers call (EDXNOTES_PUBLIC_API), such as notes.learn.example.com; \"\" leaves it out of the load balancer's certificate."
  type        = string
  default     = ""

  validation {
    condition     = var.notes_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.notes_domain))
    error_message = "The notes_domain must be a lowercase DNS name such as notes.learn.example.com, or \"\"."
  }
}

variable "meilisearch_domain" {
  description = "Host name of Meilisearch, which browsers query (Studio's content search, MEILISEARCH_PUBLIC_URL), such as meilisearch.learn.example.com; \"\" (other search engines) leaves it out."
  type        = string
  default     = ""

  validation {
    condition     = var.meilisearch_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.meilisearch_domain))
    error_message = "The meilisearch_domain must be a lowercase DNS name such as meilisearch.learn.example.com, or \"\"."
  }
}

variable "tls_certificate_file" {
  description = "Path of the PEM certificate (chain) to import into ACM when tls_mode = provided; \"\" otherwise."
  type        = string
  default     = ""
}

variable "tls_private_key_file" {
  description = "Path of the PEM private key to import into ACM when tls_mode = provided; \"\" otherwise."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Protect databases, caches and buckets from deletion (final snapshots, no force-destroy)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags merged into every taggable resource (environment is always added)."
  type        = map(string)
  default     = {}
}

variable "mysql_admin_password" {
  description = "RDS master password, passed as TF_VAR_mysql_admin_password; empty lets RDS manage it in Secrets Manager."
  type        = string
  default     = ""
  sensitive   = true
}

variable "redis_auth_token" {
  description = "ElastiCache AUTH token (16-128 characters), passed as TF_VAR_redis_auth_token; required for managed Redis."
  type        = string
  default     = ""
  sensitive   = true
}

variable "rabbitmq_admin_password" {
  description = "Secret (TF_VAR_rabbitmq_admin_password): the password of the Amazon MQ broker's one user (rabbitmq_mode = managed); 12-250 characters without , : or =."
  type        = string
  default     = ""
  sensitive   = true
}

# ---- AWS-only extras (all defaulted) ----

variable "route53_zone_id" {
  description = "Route 53 hosted zone ID that receives the ACM DNS validation records when tls_mode = cloud; empty: the hosted zone of dns_zone, and without one create the CNAMEs by hand (see the ACM console) while apply waits."
  type        = string
  default     = ""
}

variable "create_bastion" {
  description = "Create an SSH bastion in a public subnet when ssh_allowed_cidrs is not empty (the hosts themselves have no public address)."
  type        = bool
  default     = true
}

variable "bastion_machine_type" {
  description = "EC2 instance type of the bastion."
  type        = string
  default     = "t3.micro"
}

variable "create_state_backend" {
  description = "Also create the S3 state bucket `<storage_bucket_prefix>-tfstate` and its DynamoDB lock table `<bucket>-lock` (normally bootstrapped once with the state_backend module)."
  type        = bool
  default     = false
}

variable "search_master_password" {
  description = "Internal master user password for OpenSearch fine-grained access control (TF_VAR_search_master_password); empty makes the app instance role the master user instead."
  type        = string
  default     = ""
  sensitive   = true
}

variable "documentdb_engine_version" {
  description = "Amazon DocumentDB engine version when mongodb_mode = managed."
  type        = string
  default     = "5.0.0"
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

variable "cdn_price_class" {
  description = "CloudFront price class: the edge locations used and billed (PriceClass_100: North America and Europe; PriceClass_200; PriceClass_All)."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cdn_price_class)
    error_message = "The cdn_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}
