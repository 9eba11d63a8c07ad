variable "create" {
  description = "Create the ElastiCache replication group (redis_mode = managed); false creates nothing."
  type        = bool
  default     = true
}

variable "name" {
  description = "Identifier prefix (the environment name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,33}$", var.name))
    error_message = "The name must be 2-34 lowercase letters, digits or hyphens, starting with a letter (ElastiCache IDs are at most 40 characters)."
  }
}

variable "engine_version" {
  description = "Redis major.minor version; versions above 7.1 (the newest Redis OSS on ElastiCache) are capped to 7.1."
  type        = string
  default     = "7.1"

  validation {
    condition     = can(regex("^[67]\\.[0-9]+$", var.engine_version))
    error_message = "The engine_version must be a Redis 6 or 7 major.minor version such as 7.1."
  }
}

variable "node_type" {
  description = "ElastiCache node type, such as cache.m6g.large."
  type        = string
  default     = "cache.m6g.large"

  validation {
    condition     = can(regex("^cache\\.", var.node_type))
    error_message = "The node_type must be an ElastiCache node type starting with cache., such as cache.m6g.large."
  }
}

variable "ha" {
  description = "Add a replica in another zone with automatic failover (Multi-AZ)."
  type        = bool
  default     = false
}

variable "auth_token" {
  description = "Redis AUTH token, 16-128 printable characters without @, \" or /; required in practice since clients authenticate with it."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.auth_token == "" || (length(var.auth_token) >= 16 && length(var.auth_token) <= 128 && !can(regex("[@\"/ ]", var.auth_token)))
    error_message = "The auth_token must be 16-128 characters and must not contain @, \", / or spaces."
  }
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots to keep (the Celery queue lives here); 0 disables them."
  type        = number
  default     = 7
}

variable "subnet_ids" {
  description = "Private data subnets."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the nodes (the redis group: port 6379 from app and worker only)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key ARN for encryption at rest and the slow-log group; null uses the AWS-managed key."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days to keep the Redis slow log in CloudWatch."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
