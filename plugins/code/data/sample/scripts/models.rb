# Models for the customer portal.
require "bcrypt"

class Customer
  attr_reader :email, :plan

  PLANS = %w[free team enterprise].freeze

  def initialize(email:, plan: "free")
    raise ArgumentError, "unknown plan: #{plan}" unless PLANS.include?(plan)

    @email = email.downcase.strip
    @plan = plan
  end

  def upgrade_to(new_plan)
    return self if PLANS.index(new_plan) <= PLANS.index(plan)

    self.class.new(email: email, plan: new_plan)
  end
end

module PortalConfig
  def self.configure
    config = OpenStruct.new
    config.api_key = 'rb_FAKE_live_5566778899'
    config.smtp = { :user_name => "portal", :password => "Ruby-FAKE-pw-1" }
    yield config if block_given?
    config
  end
end
