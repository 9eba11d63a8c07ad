variable "name" {
  description = "Name prefix for every resource (the environment name)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "The name must match [a-z][a-z0-9-]{1,30}: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "cidr" {
  description = "CIDR block of the VPC; public, app and data subnets are carved from it."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && tonumber(split("/", var.cidr)[1]) <= 20
    error_message = "The cidr must be an IPv4 CIDR block of size /20 or larger, such as 10.40.0.0/16."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each subnet (8 turns a /16 into /24 subnets)."
  type        = number
  default     = 8

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 12
    error_message = "The subnet_newbits must be between 2 and 12."
  }
}

variable "zones" {
  description = "Availability zones to create one public, one app and one data subnet in (two or more for an ALB)."
  type        = list(string)

  validation {
    condition     = length(var.zones) >= 1 && length(var.zones) <= 6
    error_message = "Give between 1 and 6 availability zones."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per zone (survives a zone outage) instead of a single shared one."
  type        = bool
  default     = false
}

variable "ssh_allowed_cidrs" {
  description = "CIDR blocks allowed to reach port 22 on the bastion (the private hosts accept SSH from the bastion only); empty allows no SSH from outside the VPC."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.ssh_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "Every ssh_allowed_cidrs entry must be an IPv4 CIDR block such as 203.0.113.0/24."
  }
}

variable "lb_listener_ports" {
  description = "Ports the load balancer accepts from the internet and forwards to the app tier."
  type        = list(number)
  default     = [80, 443]
}

variable "data_ports" {
  description = "Ports each data store (and the RabbitMQ broker: AMQP over TLS) listens on; only the app and worker security groups (and the store's own peers) may reach them."
  type        = map(list(number))
  default = {
    mysql    = [3306]
    mongodb  = [27017]
    redis    = [6379, 26379]
    search   = [443, 7700, 9200, 9300]
    rabbitmq = [5671]
  }

  validation {
    condition     = length(setsubtract(keys(var.data_ports), ["mysql", "mongodb", "redis", "search", "rabbitmq"])) == 0
    error_message = "The data_ports keys must be among mysql, mongodb, redis, search and rabbitmq."
  }
}

variable "create_flow_logs" {
  description = "Record VPC flow logs to an encrypted CloudWatch log group."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key ARN encrypting the flow log group; its policy must allow the CloudWatch Logs service."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags merged into every resource; must carry `environment`."
  type        = map(string)
  default     = {}
}
