"""Tools for tests and benchmarks: throwaway database servers, a fake clock."""
