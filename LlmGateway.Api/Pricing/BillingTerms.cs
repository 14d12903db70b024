namespace LlmGateway.Api.Pricing;

/// <summary>What a request asked for that changes how its usage is billed.</summary>
/// <param name="Priority"><c>service_tier: "priority"</c> (<see cref="PremiumFeatures.AsksPriority"/>): the priority rates.</param>
/// <param name="ChatWebSearch">Chat's <c>web_search_options</c>: one search billed, which OpenAI's usage does not count.</param>
public readonly record struct BillingTerms(bool Priority = false, bool ChatWebSearch = false);
