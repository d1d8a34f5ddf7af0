module webstack-bench/services/external_mock

go 1.22
