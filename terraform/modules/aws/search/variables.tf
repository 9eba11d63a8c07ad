variable "create" {
  description = "Create the Amazon OpenSearch Service domain (search_engine = opensearch, search_mode = managed)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Domain name prefix (the environment name); -search is appended, 28 characters at most in all."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name))
    error_message = "The name must be 2-21 lowercase letters, digits or hyphens, starting with a letter (OpenSearch domain names are at most 28 characters)."
  }
}

variable "engine_version" {
  description = "OpenSearch major.minor version, such as 2.19."
  type        = string
  default     = "2.19"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.engine_version))
    error_message = "The engine_version must be an OpenSearch major.minor version such as 2.19."
  }
}

variable "instance_type" {
  description = "Data node instance type, such as m6g.large.search."
  type        = string
  default     = "m6g.large.search"

  validation {
    condition     = can(regex("\\.search$", var.instance_type))
    error_message = "The instance_type must be an OpenSearch instance type ending in .search, such as m6g.large.search."
  }
}

variable "instance_count" {
  description = "Data nodes; more than one spreads them over two or three zones."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 20
    error_message = "The instance_count must be between 1 and 20."
  }
}

variable "dedicated_master_type" {
  description = "Instance type of three dedicated master nodes (such as m6g.large.search); empty runs without dedicated masters."
  type        = string
  default     = ""

  validation {
    condition     = var.dedicated_master_type == "" || can(regex("\\.search$", var.dedicated_master_type))
    error_message = "The dedicated_master_type must be empty or an OpenSearch instance type ending in .search."
  }
}

variable "volume_gb" {
  description = "gp3 EBS volume per data node, in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.volume_gb >= 10
    error_message = "The volume_gb must be at least 10."
  }
}

variable "subnet_ids" {
  description = "Private data subnets, one per zone; as many are used as zones the domain spans."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "Give at least one subnet ID."
  }
}

variable "security_group_ids" {
  description = "Security groups of the domain (the search group: HTTPS from app and worker only)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key ARN for encryption at rest and the log groups; null uses the AWS-managed key."
  type        = string
  default     = null
}

variable "master_user_name" {
  description = "Internal master user created when master_user_password is set."
  type        = string
  default     = "openedx"
}

variable "master_user_password" {
  description = "Password of the internal master user (8+ characters with upper, lower, digit and symbol); empty makes master_user_arn the master instead."
  type        = string
  default     = ""
  sensitive   = true
}

variable "master_user_arn" {
  description = "IAM principal ARN that becomes the fine-grained access control master when no master password is given."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Days to keep the OpenSearch logs in CloudWatch."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
