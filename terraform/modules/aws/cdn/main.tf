# CloudFront in front of the LMS's /static/ and /media/ (the collected static files and the shared media directory
# nginx serves on the app hosts). The origin is the LMS's public name, so CloudFront reaches it over HTTPS with the
# certificate the load balancer or nginx already holds; cookies and query strings never reach the cache key.

locals {
  create        = var.create
  custom_domain = local.create && var.domain != ""
  origin_id     = "lms"
  tags          = merge(var.tags, { component = "cdn" })
}

# AWS's managed policies, looked up by name: long-lived caching keyed on the path for /static/ (the static files'
# names carry their content hash), the origin's Cache-Control and the query string for the rest, nothing cached for
# the 404 behaviour, and CORS for the fonts and scripts pages load from
# another origin (openedx-platform#38648).
data "aws_cloudfront_cache_policy" "optimized" {
  count = local.create ? 1 : 0
  name  = "Managed-CachingOptimized"
}

# Media keeps its query string in the key: a changed profile image keeps its name and gets a new ?v=.
data "aws_cloudfront_cache_policy" "with_query_strings" {
  count = local.create ? 1 : 0
  name  = "UseOriginCacheControlHeaders-QueryStrings"
}

data "aws_cloudfront_cache_policy" "disabled" {
  count = local.create ? 1 : 0
  name  = "Managed-CachingDisabled"
}

data "aws_cloudfront_response_headers_policy" "cors" {
  count = local.create ? 1 : 0
  name  = "Managed-SimpleCORS"
}

# Paths outside var.paths answer 404 at the edge: the CDN's name must not become a second, cookie-less LMS.
resource "aws_cloudfront_function" "not_found" {
  count = local.create ? 1 : 0

  name    = "${var.name}-cdn-not-found"
  runtime = "cloudfront-js-2.0"
  comment = "Open edX ${var.name}: the CDN serves ${join(" and ", var.paths)} only"
  publish = true
  code    = <<-JS
    function handler(event) {
      return { statusCode: 404, statusDescription: "Not Found" };
    }
  JS
}

# ---- certificate for a custom name: ACM in us-east-1, the only region CloudFront reads ----

resource "aws_acm_certificate" "this" {
  count    = local.custom_domain ? 1 : 0
  provider = aws.us_east_1

  domain_name       = var.domain
  validation_method = "DNS"
  # The one name (the provider leaves domain_name out of this set, so [] is what it reads back).
  subject_alternative_names = []
  tags                      = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  count = local.custom_domain ? 1 : 0

  zone_id         = var.route53_zone_id
  name            = one(aws_acm_certificate.this[0].domain_validation_options[*].resource_record_name)
  type            = one(aws_acm_certificate.this[0].domain_validation_options[*].resource_record_type)
  records         = [one(aws_acm_certificate.this[0].domain_validation_options[*].resource_record_value)]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count    = local.custom_domain ? 1 : 0
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [aws_route53_record.validation[0].fqdn]
}

# ---- the distribution ----

resource "aws_cloudfront_distribution" "this" {
  count = local.create ? 1 : 0
  #checkov:skip=CKV_AWS_86:access logs need a log bucket with ACLs enabled, which the storage module refuses (BucketOwnerEnforced); the origin's load balancer and nginx log every miss
  #checkov:skip=CKV_AWS_68:the distribution serves public, immutable files only (every other path is a 404 at the edge); the WAF belongs on the load balancer in front of the application
  #checkov:skip=CKV2_AWS_47:see CKV_AWS_68: no application path is served, so the Log4j rule set has nothing to protect here
  #checkov:skip=CKV_AWS_310:one origin: the load balancer already fails over between the app hosts
  #checkov:skip=CKV_AWS_374:the platform's learners may be anywhere; geo restriction is the operator's policy, not a default
  #checkov:skip=CKV_AWS_305:no root object: / answers 404, the distribution serves /static/ and /media/ only
  #checkov:skip=CKV_AWS_174:with CloudFront's own name AWS fixes the floor at TLSv1 whatever is set; with cdn.domain the ACM certificate gets TLSv1.2_2021 (below)
  #checkov:skip=CKV2_AWS_42:without cdn.domain the distribution serves CloudFront's own name, whose certificate only CloudFront can hold; with it, the ACM certificate below

  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  comment         = "Open edX ${var.name}: ${join(" and ", var.paths)}"
  price_class     = var.price_class
  aliases         = local.custom_domain ? [var.domain] : []
  tags            = local.tags

  origin {
    origin_id   = local.origin_id
    domain_name = var.origin_domain

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  dynamic "ordered_cache_behavior" {
    for_each = var.paths
    content {
      path_pattern               = "${ordered_cache_behavior.value}*"
      target_origin_id           = local.origin_id
      allowed_methods            = ["GET", "HEAD", "OPTIONS"]
      cached_methods             = ["GET", "HEAD"]
      viewer_protocol_policy     = "redirect-to-https"
      compress                   = true
      cache_policy_id            = ordered_cache_behavior.value == "/static/" ? data.aws_cloudfront_cache_policy.optimized[0].id : data.aws_cloudfront_cache_policy.with_query_strings[0].id
      response_headers_policy_id = data.aws_cloudfront_response_headers_policy.cors[0].id
    }
  }

  default_cache_behavior {
    target_origin_id           = local.origin_id
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    viewer_protocol_policy     = "redirect-to-https"
    cache_policy_id            = data.aws_cloudfront_cache_policy.disabled[0].id
    response_headers_policy_id = data.aws_cloudfront_response_headers_policy.cors[0].id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.not_found[0].arn
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = !local.custom_domain
    acm_certificate_arn            = local.custom_domain ? aws_acm_certificate_validation.this[0].certificate_arn : null
    ssl_support_method             = local.custom_domain ? "sni-only" : null
    minimum_protocol_version       = local.custom_domain ? "TLSv1.2_2021" : "TLSv1"
  }
}

# The custom name points at the distribution (IPv4 and IPv6 alias records, which cost no queries).
resource "aws_route53_record" "alias" {
  for_each = local.custom_domain ? toset(["A", "AAAA"]) : toset([])

  zone_id = var.route53_zone_id
  name    = var.domain
  type    = each.key

  alias {
    name                   = aws_cloudfront_distribution.this[0].domain_name
    zone_id                = aws_cloudfront_distribution.this[0].hosted_zone_id
    evaluate_target_health = false
  }
}
